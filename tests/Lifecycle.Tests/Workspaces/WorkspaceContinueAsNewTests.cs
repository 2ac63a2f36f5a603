using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Tests.Instances;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Temporalio.Api.Enums.V1;
using Temporalio.Converters;
using Xunit;
using Xunit.Abstractions;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// A workspace continues as new when the server suggests it (from the 30th event here), carrying its claim and
/// workspace state; the next run goes on from the store, and an idle workspace's history stays bounded however many
/// signals it gets.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceContinueAsNewTests(ContinueAsNewSuggestedFixture temporal, PostgresDatabase database, ITestOutputHelper output)
    : IClassFixture<ContinueAsNewSuggestedFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_claimed_workspace_continues_as_new_with_its_claim_and_still_autostops_at_its_deadline()
    {
        await using var kit = await WorkspaceKit.CreateAsync(temporal, database.DataSource);
        await kit.Claims.Worker.ExecuteAsync(async () =>
        {
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var deadline = (await kit.ViewAsync(id)).Deadline!.Value;

            // Activity that changes nothing (throttled) costs events but no write; the history must not grow without end.
            for (var i = 0; i < 40; i++)
                await kit.Handle(id).SignalAsync(wf => wf.RecordWorkspaceActivityAsync(new WorkspaceActivity(owner)));
            await kit.UntilAsync(id, v => v.NextDueAt == deadline, "the signals served");

            var runs = await kit.RunsAsync(id);
            output.WriteLine($"runs: {string.Join(", ", runs.Select(r => r.Events.Count))}");
            Assert.True(runs.Count >= 3, $"expected continue-as-new, got {runs.Count} run(s)");
            Assert.All(runs, r => Assert.True(r.Events.Count < InstanceWorkflow.HistoryLengthLimit + 20, $"a run has {r.Events.Count} events"));

            // The discipline, not just the bound: an idle workspace run continues in the first workflow task told to.
            // A task may still fail (UnhandledCommand: signals arrived while it ran) and be tried again, but none
            // completes without continuing; a run's length past the suggestion is the signals the server wrote meanwhile.
            foreach (var run in runs.Skip(1).SkipLast(1))
            {
                var events = run.Events.ToList();
                var suggested = events.FindIndex(e => e.WorkflowTaskStartedEventAttributes?.SuggestContinueAsNew == true);
                Assert.True(suggested > 0, $"a continued run of {events.Count} events was never told to continue");
                var completed = events.Skip(suggested).Count(e => e.EventType == EventType.WorkflowTaskCompleted);
                Assert.True(completed == 1, $"{completed} workflow tasks completed after the suggestion at event {suggested + 1} of {events.Count}");
                Assert.Equal(EventType.WorkflowExecutionContinuedAsNew, events[^1].EventType);
            }
            var carry = Assert.IsType<InstanceCarry>((await DataConverter.Default.ToValueAsync<InstanceWorkflowInput>(
                runs[^1].Events.First().WorkflowExecutionStartedEventAttributes.Input.Payloads_[0])).Carry);
            Assert.Equal((InstancePhase.Workspace, true, true, (Guid?)owner), (carry.Phase, carry.IsWorkspace, carry.WorkspaceEntered, carry.OwnerId));
            Assert.Equal(owner, carry.Claimed?.OwnerId);
            Assert.Equal(owner, (await kit.Handle(id).QueryAsync(wf => wf.State())).OwnerId);
            Assert.Equal(owner, (await kit.Handle(id).QueryAsync(wf => wf.Claimed()))?.OwnerId);

            await kit.AdvanceToAsync(deadline - TimeSpan.FromSeconds(1));
            Assert.Equal(2, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(deadline);
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "autostop in a continued run");
            Assert.Equal(BuildReason.Autostop, stopped.LatestReason);
            Assert.Equal(3, (await kit.BuildsAsync(id)).Count);
        });
    }
}
