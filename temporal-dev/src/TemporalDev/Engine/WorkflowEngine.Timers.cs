using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine;

/// <summary>User timers: started, fired, canceled. They never hold the time-skipping lock.</summary>
public sealed partial class WorkflowEngine
{
    private void StartTimer(Execution run, StartTimerCommandAttributes command, CommandBatch batch)
    {
        var started = run.Append(EventType.TimerStarted, Now, e => e.TimerStartedEventAttributes = new TimerStartedEventAttributes
        {
            TimerId = command.TimerId,
            StartToFireTimeout = command.StartToFireTimeout,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
        });
        ArmUserTimer(run, command.TimerId, started.EventId, Now + Proto.Span(command.StartToFireTimeout));
    }

    /// <summary>Starts the clock of a user timer; it fires TimerFired at its due time unless canceled first.</summary>
    private void ArmUserTimer(Execution run, string timerId, long startedId, DateTime due)
    {
        var clock = Clock.Schedule(due, () =>
        {
            if (!run.Timers.TryGetValue(timerId, out var timer) || timer.StartedEventId != startedId) return;
            run.Timers.Remove(timerId);
            AddEventForWorkflow(run, () => run.Append(EventType.TimerFired, Now, e => e.TimerFiredEventAttributes = new TimerFiredEventAttributes
            {
                TimerId = timerId,
                StartedEventId = startedId,
            }));
        });
        run.Timers[timerId] = new TimerState(startedId, clock);
    }

    private void CancelTimer(Execution run, CancelTimerCommandAttributes command, CommandBatch batch)
    {
        if (!run.Timers.Remove(command.TimerId, out var timer)) return;
        timer.Clock.Cancel();
        run.Append(EventType.TimerCanceled, Now, e => e.TimerCanceledEventAttributes = new TimerCanceledEventAttributes
        {
            TimerId = command.TimerId,
            StartedEventId = timer.StartedEventId,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            Identity = batch.Identity,
        });
    }
}
