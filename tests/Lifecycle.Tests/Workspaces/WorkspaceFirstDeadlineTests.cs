using System.Runtime.Versioning;
using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Temporalio.Client;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// Where a workspace's first deadline counts from. A claimed prebuild: from the claim (prebuilds.md B31, issue 6), not
/// from the end of the claim's start build. A workspace made fresh for its owner: from its first build's job completion
/// (lifecycle.md A28: the machine made), not from its agent's ready callback. Each is checked one second before and at.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceFirstDeadlineTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(2);

    [Fact]
    public Task A_claimed_prebuilds_deadline_counts_from_the_claim_not_from_the_end_of_its_start_build() =>
        RunAsync(async kit =>
        {
            var prebuild = await kit.Claims.PrebuildAsync();
            kit.Track(prebuild.Id);
            var owner = await kit.Claims.UserAsync();
            var claim = new ClaimRequest(owner, $"ws-{prebuild.Id:N}"[..12], prebuild.PresetId, null, Ttl);
            var claimed = await kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(claim));
            var view = await kit.SettledAsync(prebuild.Id, v => v.BuildNumber == 2, "the claim's start build");

            var build = (await kit.BuildsAsync(prebuild.Id))[1];
            Assert.True(build.CompletedAt > claimed.ClaimedAt, $"the claim build ended at {build.CompletedAt:O}, after the claim at {claimed.ClaimedAt:O}");
            Assert.Equal(WorkspaceKit.Stored(claimed.ClaimedAt + Ttl), view.Deadline);
            Assert.Equal(view.Deadline, build.Deadline);
            Assert.Equal(view.Deadline, view.NextDueAt);

            await kit.AdvanceToAsync(view.Deadline!.Value - Second);
            Assert.Equal(2, (await kit.ViewAsync(prebuild.Id)).BuildNumber);
            await kit.AdvanceToAsync(view.Deadline!.Value);
            var stopped = await kit.SettledAsync(prebuild.Id, v => v.BuildNumber == 3, "the autostop");
            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value));
            Assert.True((await kit.BuildsAsync(prebuild.Id))[2].CreatedAt >= view.Deadline);
        });

    [Fact]
    public Task A_fresh_workspaces_deadline_counts_from_its_first_builds_completion_not_from_its_agents_ready() =>
        RunAsync(async kit =>
        {
            var owner = await kit.Claims.UserAsync();
            var target = await FreshWorkspaces.ReadTargetAsync(kit.DataSource, kit.Seed.PresetId) ?? throw new InvalidOperationException("no preset");
            var settings = WorkspaceScheduleRequest.ForClaim(DateTimeOffset.UtcNow, null, Ttl, AutomaticUpdates.Never, target.Policy);
            var fresh = await FreshWorkspaces.InsertAsync(kit.DataSource, target, owner, "fresh-deadline", settings) ?? throw new InvalidOperationException("name taken");
            kit.Track(fresh.InstanceId);
            var input = new InstanceWorkflowInput(fresh.InstanceId, fresh.InstanceName, fresh.ProviderName, fresh.PresetId, fresh.TemplateId, InstanceWorkflowInput.DefaultBootstrapTimeout, new CreateRetryPolicy());
            await kit.Temporal.Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new($"instance:{fresh.InstanceId}", kit.Claims.TaskQueue));
            var handle = kit.Handle(fresh.InstanceId);
            var waitUntil = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while ((await handle.QueryAsync(wf => wf.State())).Phase != InstancePhase.Bootstrapping && DateTime.UtcNow < waitUntil)
                await Task.Delay(TimeSpan.FromMilliseconds(50));

            // The agent takes ten minutes to call back after the machine was made.
            var made = (await kit.BuildsAsync(fresh.InstanceId))[0].CompletedAt ?? throw new InvalidOperationException("the first build's job has not completed");
            await kit.AdvanceToAsync(made + TimeSpan.FromMinutes(10));
            var readyAt = new DateTimeOffset(await kit.NowAsync());
            await handle.SignalAsync(wf => wf.ReadyAsync());
            var ready = await kit.SettledAsync(fresh.InstanceId, v => v.Deadline is not null, "the workspace phase");

            Assert.Equal(made + Ttl, ready.Deadline);
            Assert.True(ready.Deadline < readyAt + Ttl - TimeSpan.FromMinutes(9), $"deadline {ready.Deadline:O} counts from the ready at {readyAt:O}");
            Assert.Equal(ready.Deadline, ready.NextDueAt);

            await kit.AdvanceToAsync(ready.Deadline!.Value - Second);
            Assert.Equal(1, (await kit.ViewAsync(fresh.InstanceId)).BuildNumber);
            await kit.AdvanceToAsync(ready.Deadline!.Value);
            var stopped = await kit.SettledAsync(fresh.InstanceId, v => v.BuildNumber == 2, "the autostop");
            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value));
        });
}
