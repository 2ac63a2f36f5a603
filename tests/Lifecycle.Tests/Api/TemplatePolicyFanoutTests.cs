using System.Net;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Tests.Reconciliation;
using Lifecycle.Workflows;
using Temporalio.Client;
using Temporalio.Worker;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>A template PATCH reaches its claimed workspaces' workflows as the template-policy-changed signal, after the commit.</summary>
public sealed class TemplatePolicyFanoutTests(WallClockTemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<WallClockTemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource, temporal.Client);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task A_policy_change_signals_each_claimed_workspace_once_and_never_an_unclaimed_prebuild()
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (version, preset) = await api.VersionAsync(template);
        var seed = new PrebuildSeed(database.DataSource, org, template, version);
        var owner = (await api.PostAsync("/api/v1/users", new { username = $"owner-{Guid.NewGuid():N}" })).Id;
        var claimed = await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: true, owner: owner);
        var claimedWithoutWorkflow = await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: true, owner: owner);
        var prebuild = await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: true);
        var taskQueue = temporal.NewTaskQueue();
        using var worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<PolicySignalRecorder>());
        await worker.ExecuteAsync(async () =>
        {
            var claimedRun = await temporal.Client.StartWorkflowAsync((PolicySignalRecorder wf) => wf.RunAsync(false), new(WorkflowIds.Instance(claimed), taskQueue));
            var prebuildRun = await temporal.Client.StartWorkflowAsync((PolicySignalRecorder wf) => wf.RunAsync(true), new(WorkflowIds.Instance(prebuild), taskQueue));

            var answer = await api.PatchAsync($"/api/v1/templates/{template}", new { time_til_dormant_ms = 86400_000L });

            Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Assert.Equal(1, await claimedRun.GetResultAsync(rpcOptions: new() { CancellationToken = timeout.Token }));
            Assert.Equal(0, await prebuildRun.QueryAsync(wf => wf.Received));
            await prebuildRun.TerminateAsync("test done");
        });
        Assert.NotEqual(claimed, claimedWithoutWorkflow);
    }

    [Fact]
    public async Task A_patch_that_changes_nothing_signals_nobody()
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (version, preset) = await api.VersionAsync(template);
        var owner = (await api.PostAsync("/api/v1/users", new { username = $"owner-{Guid.NewGuid():N}" })).Id;
        var claimed = await new PrebuildSeed(database.DataSource, org, template, version)
            .InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: true, owner: owner);
        var taskQueue = temporal.NewTaskQueue();
        using var worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<PolicySignalRecorder>());
        await worker.ExecuteAsync(async () =>
        {
            var run = await temporal.Client.StartWorkflowAsync((PolicySignalRecorder wf) => wf.RunAsync(true), new(WorkflowIds.Instance(claimed), taskQueue));

            var current = (await api.GetAsync($"/api/v1/templates/{template}")).Body.GetProperty("activity_bump_ms").GetInt64();
            var answer = await api.PatchAsync($"/api/v1/templates/{template}", new { activity_bump_ms = current });
            // A later, real change is signalled: when the query sees exactly 1, the no-op PATCH sent nothing.
            await api.PatchAsync($"/api/v1/templates/{template}", new { activity_bump_ms = current + 1 });

            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Equal(1, await EventuallyAsync(() => run.QueryAsync(wf => wf.Received), 1));
            await run.TerminateAsync("test done");
        });
    }

    private static async Task<int> EventuallyAsync(Func<Task<int>> read, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var value = await read();
        while (value != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            value = await read();
        }
        return value;
    }
}
