using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Temporalio.Client;
using Temporalio.Exceptions;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// The real Instance workflow refuses a user's start or stop while one of its builds is in flight: the scripted provider
/// holds the build's StopInstance call until the test releases it, so the build is provably running when the other
/// updates arrive. The refusal is the validator's (no event, no build row), and the held build then ends normally.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceBuildInFlightTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    [Fact]
    public Task Start_and_stop_are_refused_with_conflict_while_a_stop_build_runs_and_the_build_then_completes() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            kit.Claims.Machines.Control("HOLD=StopInstance");
            var handle = kit.Handle(id);

            var inFlight = await handle.StartUpdateAsync(
                wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)), new WorkflowUpdateStartOptions(WorkflowUpdateStage.Accepted));
            await HeldAsync(kit, "StopInstance");
            var running = (await kit.BuildsAsync(id))[^1];
            Assert.Equal((3, "stop", "running"), (running.BuildNumber, running.Transition, running.JobStatus));
            var events = await kit.Claims.EventCountAsync(id);

            foreach (var (what, send) in new (string, Func<Task<WorkspaceView>>)[]
            {
                ("start", () => handle.ExecuteUpdateAsync(wf => wf.StartWorkspaceAsync(new WorkspaceBuildRequest(owner)))),
                ("stop", () => handle.ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)))),
            })
            {
                var refused = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(send);
                var failure = Assert.IsType<ApplicationFailureException>(refused.InnerException);
                Assert.Equal(WorkspaceFailures.Conflict, failure.ErrorType);
                Assert.Contains($"has a build queued or running; cannot {what} it now", failure.Message, StringComparison.Ordinal);
            }

            Assert.Equal(events, await kit.Claims.EventCountAsync(id));
            Assert.Equal([1, 2, 3], (await kit.BuildsAsync(id)).Select(b => b.BuildNumber));
            Assert.Equal(1, kit.Claims.Machines.Commands().Count(c => c == "StopInstance"));

            kit.Claims.Machines.Release();
            var stopped = await inFlight.GetResultAsync().WaitAsync(Limit);

            Assert.Equal((3, BuildTransition.Stop, BuildStatus.Succeeded, InstanceStatus.Stopped), (stopped.BuildNumber, stopped.LatestTransition!.Value, stopped.LatestStatus!.Value, stopped.Status));
            var all = await kit.BuildsAsync(id);
            Assert.Equal(3, all.Count);
            Assert.Equal(("stop", "initiator", "succeeded"), (all[2].Transition, all[2].Reason, all[2].JobStatus));
            Assert.Equal("stopped", await kit.InstanceStatusAsync(id));

            // Once the build is over, the same start is accepted.
            var started = await handle.ExecuteUpdateAsync(wf => wf.StartWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            Assert.Equal((4, BuildTransition.Start, BuildStatus.Succeeded), (started.BuildNumber, started.LatestTransition!.Value, started.LatestStatus!.Value));
        });

    /// <summary>Waits (wall clock) until the provider has received <paramref name="command"/> and holds it.</summary>
    private static async Task HeldAsync(WorkspaceKit kit, string command)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!kit.Claims.Machines.Commands().Contains(command))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the provider was not asked to {command} within {Limit}");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
