using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// How the workspace loop times a long wait (time-skipping temporal-dev, real worker and PostgreSQL): it wakes
/// <see cref="InstanceWorkflow.DueWakeLead"/> before the due time, reads nothing, and waits the rest from that task,
/// so the action is not late by the end of the task that planned the wait (its store writes and reads).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceDueWakeTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_long_wait_wakes_early_and_waits_the_rest_to_the_due_time()
    {
        await using var kit = await WorkspaceKit.CreateAsync(temporal, database.DataSource);
        await kit.Claims.Worker.ExecuteAsync(async () =>
        {
            var (id, _) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var deadline = (await kit.ViewAsync(id)).Deadline!.Value;
            await kit.AdvanceToAsync(deadline);
            await kit.SettledAsync(id, v => v.BuildNumber == 3, "autostop");

            var events = (await kit.RunsAsync(id))[^1].Events.ToList();
            var fired = events.Where(e => e.EventType == EventType.TimerFired).ToList();
            var started = events.Where(e => e.EventType == EventType.TimerStarted).ToDictionary(e => e.EventId);
            var (early, rest) = (started[fired[^2].TimerFiredEventAttributes.StartedEventId], started[fired[^1].TimerFiredEventAttributes.StartedEventId]);

            // The long timer aims at DueWakeLead before the deadline, late only by the rest of the task that started it.
            var earlyAim = FireTime(early) - deadline;
            Assert.InRange(earlyAim, -InstanceWorkflow.DueWakeLead, -InstanceWorkflow.DueWakeLead + TimeSpan.FromSeconds(1));

            // The early task reads and writes nothing: its only command is the rest of the wait, up to the deadline.
            var between = events.Where(e => e.EventId > fired[^2].EventId && e.EventId < rest.EventId).Select(e => e.EventType);
            Assert.Equal([EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted], between);
            Assert.InRange(Length(rest), TimeSpan.Zero, InstanceWorkflow.DueWakeLead);
            Assert.True(FireTime(rest) >= deadline, $"the rest of the wait ends at {FireTime(rest):O}, before the deadline {deadline:O}");

            // The autostop is decided in the task the rest woke.
            var stop = (await kit.BuildsAsync(id))[2];
            Assert.Equal("autostop", stop.Reason);
            Assert.True(stop.CreatedAt >= deadline && stop.CreatedAt >= Time(fired[^1]), $"autostop at {stop.CreatedAt:O}, deadline {deadline:O}, rest fired {Time(fired[^1]):O}");
        });
    }

    private static DateTimeOffset Time(HistoryEvent e) => new(e.EventTime.ToDateTime());

    private static TimeSpan Length(HistoryEvent timer) => timer.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan();

    private static DateTimeOffset FireTime(HistoryEvent timer) => Time(timer) + Length(timer);
}
