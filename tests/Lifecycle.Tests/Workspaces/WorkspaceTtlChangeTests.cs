using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// A TTL change reaches the real workflow and re-plans its timer at once (issue 6; spec 4.1 #16): clearing the TTL of a
/// running workspace removes its pending autostop, and the next start's deadline follows the TTL set later.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceTtlChangeTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public Task Clearing_the_ttl_cancels_the_pending_autostop_and_a_new_ttl_applies_from_the_next_start() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var deadline = (await kit.ViewAsync(id)).Deadline!.Value;

            var clear = new WorkspaceScheduleChange(null, null, InitiatorId: owner);
            var cleared = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.ChangeWorkspaceScheduleAsync(clear));
            Assert.Null(cleared.Ttl);
            Assert.Null(cleared.Deadline);
            await kit.UntilAsync(id, v => v.Deadline is null && v.NextDueAt is null, "the cancelled autostop");

            await kit.AdvanceToAsync(deadline + Second);
            Assert.Equal((2, BuildTransition.Start), ((await kit.ViewAsync(id)).BuildNumber, (await kit.ViewAsync(id)).LatestTransition!.Value));
            Assert.Equal(2, (await kit.BuildsAsync(id)).Count);

            var ttl = TimeSpan.FromMinutes(30);
            var change = new WorkspaceScheduleChange(null, ttl, InitiatorId: owner);
            var set = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.ChangeWorkspaceScheduleAsync(change));
            Assert.Equal((ttl, (DateTimeOffset?)null), (set.Ttl, set.Deadline));
            await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            var started = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StartWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            var completed = (await kit.BuildsAsync(id))[3].CompletedAt!.Value;
            Assert.Equal(completed + ttl, started.Deadline);

            await kit.AdvanceToAsync(started.Deadline!.Value - Second);
            Assert.Equal(4, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(started.Deadline!.Value);
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 5, "the autostop under the new ttl");
            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value));
            Assert.Equal(2, await kit.AuditCountAsync(id, "write", "schedule/%"));
        });
}
