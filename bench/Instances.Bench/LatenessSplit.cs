using System.Globalization;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;

namespace Instances.Bench;

/// <summary>
/// Where an autostart's or autostop's lateness went, read from the workflow's history (the server's own event times):
/// <list type="bullet">
/// <item><b>aim</b>: the timer's scheduled fire time (TimerStarted time + its length) − due. The timer starts when the
/// server takes the completion of the task that asked for it; positive when the wait was timed from an earlier clock.</item>
/// <item><b>fire</b>: TimerFired − the scheduled fire time (the server's timer queue).</item>
/// <item><b>dispatch</b>: the woken workflow task's scheduling (after the fire) → started (a poll took it).</item>
/// <item><b>task</b>: the build row's clock − that task's start (0 when the row is written in the woken task).</item>
/// </list>
/// For the aim, the task that started the timer is split too: <b>ran</b> (its started → completed) and <b>tail</b>
/// (completed − the clock the wait was timed from, i.e. what the wait did not compensate).
/// </summary>
internal static class LatenessSplit
{
    /// <summary>One build's lateness, split; null parts were not found in the history.</summary>
    internal sealed record Split(double Total, double Aim, double Fire, double Wait, double Dispatch, double Task, double Ran, double Tail);

    /// <summary>Splits the lateness of a build created at <paramref name="createdAt"/> that was due at <paramref name="due"/>.</summary>
    public static Split? Of(IReadOnlyCollection<HistoryEvent> events, DateTimeOffset due, DateTimeOffset createdAt)
    {
        var byId = events.ToDictionary(e => e.EventId);

        // The task the build was decided in: the last one started at or before the row's clock.
        var started = events.LastOrDefault(e => e.EventType == EventType.WorkflowTaskStarted && Time(e) <= createdAt.AddMilliseconds(1));
        if (started is null)
            return null;
        var scheduled = byId[started.WorkflowTaskStartedEventAttributes.ScheduledEventId];
        var fired = events.LastOrDefault(e => e.EventType == EventType.TimerFired && e.EventId < started.EventId);
        if (fired is null)
            return null;
        var timer = byId[fired.TimerFiredEventAttributes.StartedEventId];
        var aimedAt = Time(timer) + timer.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan();
        var completed = byId[timer.TimerStartedEventAttributes.WorkflowTaskCompletedEventId];
        var startedBefore = byId[completed.WorkflowTaskCompletedEventAttributes.StartedEventId];
        var timedFrom = due - timer.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan();
        return new Split(
            Total: Ms(createdAt - due),
            Aim: Ms(aimedAt - due),
            Fire: Ms(Time(fired) - aimedAt),
            Wait: Ms(Time(scheduled) - Time(fired)),
            Dispatch: Ms(Time(started) - Time(scheduled)),
            Task: Ms(createdAt - Time(started)),
            Ran: Ms(Time(completed) - Time(startedBefore)),
            Tail: Ms(Time(completed) - timedFrom));
    }

    /// <summary>Percentiles of each part over <paramref name="splits"/>, and the five latest builds' parts.</summary>
    public static IEnumerable<string> Describe(string what, IReadOnlyList<Split> splits)
    {
        if (splits.Count == 0)
        {
            yield return $"{what}: no splits";
            yield break;
        }
        string Of(string name, Func<Split, double> part)
        {
            var values = splits.Select(part).Order().ToList();
            double P(double q) => values[Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1)];
            return string.Create(CultureInfo.InvariantCulture, $"{name} p50 {P(0.5):F0} / p99 {P(0.99):F0} / max {P(1):F0}");
        }
        yield return $"{what} split (ms, n={splits.Count}): {Of("total", s => s.Total)}; {Of("aim", s => s.Aim)}; {Of("fire", s => s.Fire)}; "
            + $"{Of("wait", s => s.Wait)}; {Of("dispatch", s => s.Dispatch)}; {Of("task", s => s.Task)}";
        yield return $"{what} aim: timer-starting task {Of("ran", s => s.Ran)}; {Of("uncompensated tail", s => s.Tail)}";
        foreach (var s in splits.OrderByDescending(s => s.Total).Take(5))
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"  {what} latest: total {s.Total:F0} = aim {s.Aim:F0} + fire {s.Fire:F0} + wait {s.Wait:F0} + dispatch {s.Dispatch:F0} + task {s.Task:F0} (timer-starting task ran {s.Ran:F0}, tail {s.Tail:F0})");
        }
    }

    /// <summary>The events of the workflow's run that was current at <paramref name="at"/> (walking back through continue-as-new).</summary>
    public static async Task<IReadOnlyCollection<HistoryEvent>> FetchAsync(ITemporalClient client, string workflowId, DateTimeOffset at)
    {
        string? runId = null;
        while (true)
        {
            var events = (await client.GetWorkflowHandle(workflowId, runId).FetchHistoryAsync()).Events;
            var first = events.First();
            runId = first.WorkflowExecutionStartedEventAttributes.ContinuedExecutionRunId;
            if (Time(first) <= at || string.IsNullOrEmpty(runId))
                return events;
        }
    }

    private static DateTimeOffset Time(HistoryEvent e) => new(e.EventTime.ToDateTime());

    private static double Ms(TimeSpan span) => span.TotalMilliseconds;
}
