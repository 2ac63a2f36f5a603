using System.Runtime.Versioning;
using System.Text.Json;
using Lifecycle.Activities.Providers;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Tests.Instances;
using Lifecycle.Tests.Providers;
using Lifecycle.Worker.Api;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Client;
using Temporalio.Worker;
using Xunit;

namespace Lifecycle.Tests.EndToEnd;

/// <summary>
/// Instances made by the real built-in <c>process</c> provider: each is a real process whose agent calls the real
/// ready endpoint with its own token, which signals the real Instance workflow; deleting them leaves no process.
/// Wall-clock time, because the agents are real processes.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ProcessProviderEndToEndTests(WallClockTemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<WallClockTemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const int Instances = 20;
    private readonly string directory = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"e2e-process-{Guid.NewGuid():N}");
    private WebApplication api = null!;
    private string apiUrl = null!;
    private ProviderDefinition definition = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "process-provider.json");
        await File.WriteAllTextAsync(config, """{"state_dir": "state", "stop_grace_seconds": 2}""");
        definition = ProcessProviderExecutable.Definition(config);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(database.DataSource);
        builder.Services.AddSingleton(temporal.Client);
        api = builder.Build();
        api.MapInstanceReady();
        await api.StartAsync();
        apiUrl = api.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
    }

    public async Task DisposeAsync()
    {
        await new ExternalProvider(definition, InstanceActivityKit.Options().ControllerId).RemoveAllInstancesAsync();
        await api.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Twenty_instances_become_ready_through_their_agents_callbacks_and_are_deleted_leaving_no_process()
    {
        var seed = await InstanceSeed.CreateAsync(database.DataSource);
        var activities = InstanceActivityKit.Activities(database.DataSource, [definition], InstanceActivityKit.Options(apiUrl));
        var taskQueue = temporal.NewTaskQueue();
        using var worker = new TemporalWorker(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue).AddWorkflow<InstanceWorkflow>().AddAllActivities(activities));
        await worker.ExecuteAsync(async () =>
        {
            var handles = new List<WorkflowHandle<InstanceWorkflow, InstanceOutcome>>();
            for (var i = 0; i < Instances; i++)
            {
                var instance = await seed.InstanceAsync(providerName: ProcessProviderExecutable.ProviderName);
                handles.Add(await temporal.Client.StartWorkflowAsync(
                    (InstanceWorkflow wf) => wf.RunAsync(new(
                        instance.Id, instance.Name, instance.ProviderName, instance.PresetId, instance.TemplateId,
                        InstanceWorkflowInput.DefaultBootstrapTimeout, new CreateRetryPolicy())),
                    new(WorkflowIds.Instance(instance.Id), taskQueue)));
            }

            // Real agents start and call back: wait on their progress (wall clock), bounded.
            var views = await Task.WhenAll(handles.Select(h => WaitForPhaseAsync(h, InstancePhase.Ready, TimeSpan.FromSeconds(120))));
            Assert.All(views, v => Assert.True(v.Ready, $"{v.Name} is {v.Phase}/{v.Status}: {v.LastFault}"));
            var described = await handles[0].DescribeAsync();
            Assert.Equal("running", described.TypedSearchAttributes.Get(InstanceSearchAttributes.State));
            Assert.Equal(seed.PresetId.ToString(), described.TypedSearchAttributes.Get(InstanceSearchAttributes.PresetId));
            Assert.Equal(seed.TemplateId.ToString(), described.TypedSearchAttributes.Get(InstanceSearchAttributes.TemplateId));
            var pids = views.Select(v => AgentPid(v.Name)).ToList();
            Assert.Equal(Instances, pids.Distinct().Count());
            Assert.All(pids, pid => Assert.False(ProviderTestKit.IsGone(pid), $"agent {pid} is not running while its instance is ready"));

            foreach (var handle in handles)
            {
                await handle.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest()));
            }
            var outcomes = await Task.WhenAll(handles.Select(h => h.GetResultAsync()));

            Assert.All(outcomes, o => Assert.True(o.EverReady));
            Assert.All(outcomes, o => Assert.Equal(1, o.CreateAttempts));
            Assert.Equal("deleted", (await handles[^1].DescribeAsync()).TypedSearchAttributes.Get(InstanceSearchAttributes.State));
            foreach (var outcome in outcomes)
            {
                var stored = await seed.ReadAsync(outcome.InstanceId);
                Assert.True(stored.Deleted, $"instance {outcome.InstanceId} is {stored.InstanceStatus}, not deleted");
                Assert.NotNull(stored.ReadyAt);
            }
            Assert.Empty(await new ExternalProvider(definition, InstanceActivityKit.Options().ControllerId)
                .ListInstancesAsync(new ProviderPool(seed.PresetId.ToString())));
            foreach (var pid in pids)
            {
                Assert.True(await ProviderTestKit.EventuallyAsync(() => ProviderTestKit.IsGone(pid), TimeSpan.FromSeconds(15)), $"agent process {pid} outlived its instance");
            }
        });
    }

    [Fact]
    public async Task The_ready_callback_refuses_a_wrong_token_and_an_unknown_instance_and_changes_nothing()
    {
        var seed = await InstanceSeed.CreateAsync(database.DataSource);
        var instance = await seed.InstanceAsync(providerName: ProcessProviderExecutable.ProviderName);
        await using var store = database.DataSource.CreateCommand("UPDATE workspaces SET agent_token_hash = @hash WHERE id = @id");
        store.Parameters.AddWithValue("hash", Lifecycle.Activities.Instances.InstanceToken.Hash("the-right-token"));
        store.Parameters.AddWithValue("id", instance.Id);
        await store.ExecuteNonQueryAsync();
        using var http = new HttpClient { BaseAddress = new Uri(apiUrl) };

        async Task<int> PostAsync(string id, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/instances/{id}/ready");
            if (token is not null)
            {
                request.Headers.Authorization = new("Bearer", token);
            }
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }

        Assert.Equal(401, await PostAsync(instance.Id.ToString(), null));
        Assert.Equal(401, await PostAsync(instance.Id.ToString(), "a-wrong-token"));
        Assert.Equal(404, await PostAsync(Guid.NewGuid().ToString(), "the-right-token"));
        Assert.Equal(400, await PostAsync("not-a-uuid", "the-right-token"));
        // The right token, but no workflow owns the instance: 404, and the row is untouched.
        Assert.Equal(404, await PostAsync(instance.Id.ToString(), "the-right-token"));
        Assert.Null((await seed.ReadAsync(instance.Id)).ReadyAt);
    }

    private static async Task<InstanceView> WaitForPhaseAsync(WorkflowHandle<InstanceWorkflow, InstanceOutcome> handle, InstancePhase phase, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var view = await handle.QueryAsync(wf => wf.State());
            if (view.Phase >= phase || DateTime.UtcNow > deadline)
            {
                return view;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private int AgentPid(string name)
    {
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "state", "instances", name + ".json")));
        return record.RootElement.GetProperty("pid").GetInt32();
    }
}
