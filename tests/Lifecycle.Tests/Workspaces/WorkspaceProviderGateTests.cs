using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// The provisioner gate (spec A17, scenario 4.1 #33) in the real Instance workflow: when the workspace's provider does not
/// answer (the scripted provider's GetVersion exits 1), a due autostop or dormancy mark is skipped — no build, no mark —
/// and looked at again one stale interval later, when a provider that answers again lets it through.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceProviderGateTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Stale = LifecycleConstants.ProviderStaleInterval;

    [Fact]
    public Task A_due_autostop_waits_for_a_provider_that_answers_and_builds_nothing_meanwhile() =>
        RunAsync(async kit =>
        {
            var (id, _) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var deadline = (await kit.ViewAsync(id)).Deadline!.Value;
            kit.Claims.Machines.Control("EXIT_GetVersion=1");

            await kit.AdvanceToAsync(deadline);
            var skipped = await kit.UntilAsync(id, v => v.NextDueAt > deadline, "the gated autostop");

            Assert.InRange(skipped.NextDueAt!.Value, deadline + Stale, deadline + Stale + TimeSpan.FromSeconds(5));
            Assert.Equal((2, BuildTransition.Start), (skipped.BuildNumber, skipped.LatestTransition!.Value));
            Assert.Equal(2, (await kit.BuildsAsync(id)).Count);
            Assert.Contains("did not answer GetVersion", (await kit.Handle(id).QueryAsync(wf => wf.State())).LastFault, StringComparison.Ordinal);
            Assert.Equal(["GetVersion"], kit.Claims.Machines.Commands().Where(c => c is "GetVersion" or "StopInstance"));
            Assert.Equal("running", await kit.InstanceStatusAsync(id));

            kit.Claims.Machines.Control(string.Empty);
            await kit.AdvanceToAsync(skipped.NextDueAt!.Value - Second);
            Assert.Equal(2, (await kit.BuildsAsync(id)).Count);
            Assert.Single(kit.Claims.Machines.Commands(), c => c == "GetVersion");

            await kit.AdvanceToAsync(skipped.NextDueAt!.Value);
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the autostop once the provider answers");
            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop, BuildStatus.Succeeded), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value, stopped.LatestStatus!.Value));
            Assert.Equal(["GetVersion", "GetVersion", "StopInstance"], kit.Claims.Machines.Commands().Where(c => c is "GetVersion" or "StopInstance"));
            var runs = await kit.RunsAsync(id);
            if (runs.Count == 1)
                await Instances.HistoryFiles.RecordIfAskedAsync("instance-workspace-provider-gate", runs[0]);
        });

    [Fact]
    public Task A_stopped_workspace_is_not_marked_dormant_while_its_provider_is_unusable() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("time_til_dormant = '1 hour'");
            var (id, owner) = await kit.ClaimedAsync();
            await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the user's stop");
            var threshold = stopped.LastUsedAt!.Value + TimeSpan.FromHours(1);
            kit.Claims.Machines.Control("EXIT_GetVersion=1");

            await kit.AdvanceToAsync(threshold + Second);
            var skipped = await kit.UntilAsync(id, v => v.NextDueAt > threshold + Second, "the gated dormancy mark");

            Assert.Null(skipped.DormantAt);
            Assert.InRange(skipped.NextDueAt!.Value, threshold + Stale, threshold + Second + Stale + TimeSpan.FromSeconds(5));
            Assert.Equal(0, await kit.AuditCountAsync(id, "write", "dormant/%"));
            Assert.Empty(await kit.NoticesAsync(id));

            kit.Claims.Machines.Control(string.Empty);
            await kit.AdvanceToAsync(skipped.NextDueAt!.Value - Second);
            Assert.Null((await kit.ViewAsync(id)).DormantAt);
            await kit.AdvanceToAsync(skipped.NextDueAt!.Value);
            var dormant = await kit.UntilAsync(id, v => v.DormantAt is not null, "the dormancy mark once the provider answers");

            Assert.Equal(3, dormant.BuildNumber);
            Assert.Equal(1, await kit.AuditCountAsync(id, "write", "dormant/%"));
            Assert.Equal("workspace_dormant", Assert.Single(await kit.NoticesAsync(id)).Kind);
        });
}
