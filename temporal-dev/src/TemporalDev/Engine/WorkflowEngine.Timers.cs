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
        var startedId = started.EventId;
        var clock = Clock.After(Proto.Span(command.StartToFireTimeout), () =>
        {
            if (!run.Timers.TryGetValue(command.TimerId, out var timer) || timer.StartedEventId != startedId) return;
            run.Timers.Remove(command.TimerId);
            AddEventForWorkflow(run, () => run.Append(EventType.TimerFired, Now, e => e.TimerFiredEventAttributes = new TimerFiredEventAttributes
            {
                TimerId = command.TimerId,
                StartedEventId = startedId,
            }));
        });
        run.Timers[command.TimerId] = new TimerState(startedId, clock);
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
