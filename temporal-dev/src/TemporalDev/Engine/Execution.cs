using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using TemporalDev.Engine.Persistence;

namespace TemporalDev.Engine;

/// <summary>One run of a workflow: its history and the mutable state the real server keeps beside it.</summary>
public sealed class Execution
{
    private readonly List<HistoryEvent> events = [];
    private readonly List<Action> buffered = [];
    private readonly TaskCompletionSource closed = NewSignal();
    private HistoryEvent? closeEvent;
    private bool capturing;

    public Execution(string ns, string workflowId, string runId)
    {
        Namespace = ns;
        WorkflowId = workflowId;
        RunId = runId;
    }

    public string Namespace { get; }

    public string WorkflowId { get; }

    public string RunId { get; }

    public WorkflowExecution Ref => new() { WorkflowId = WorkflowId, RunId = RunId };

    required public WorkflowExecutionStartedEventAttributes Start { get; init; }

    required public string StartRequestId { get; init; }

    public string TaskQueue => Start.TaskQueue.Name;

    public WorkflowExecutionStatus Status { get; set; } = WorkflowExecutionStatus.Running;

    public bool IsOpen => Status == WorkflowExecutionStatus.Running;

    public DateTime StartTime { get; init; }

    public DateTime ExecutionTime { get; set; }

    public DateTime? CloseTime { get; set; }

    public Memo Memo { get; set; } = new();

    public SearchAttributes SearchAttributes { get; set; } = new();

    public IReadOnlyList<HistoryEvent> Events => events;

    public long NextEventId => events.Count + 1;

    public long HistorySizeBytes { get; private set; }

    /// <summary>Gets or sets the event that closed the run, once closed; setting it wakes <see cref="Closed"/>.</summary>
    public HistoryEvent? CloseEvent
    {
        get => closeEvent;
        set
        {
            closeEvent = value;
            if (value is not null) closed.TrySetResult();
        }
    }

    /// <summary>
    /// Gets a task that completes when the run closes: a close-event long poll (the client's GetResult) waits on it
    /// instead of waking at every event.
    /// </summary>
    public Task Closed => closed.Task;

    public WorkflowTaskState WorkflowTask { get; } = new();

    public Dictionary<long, ActivityState> Activities { get; } = [];

    public Dictionary<string, TimerState> Timers { get; } = new(StringComparer.Ordinal);

    public Dictionary<long, ChildState> Children { get; } = [];

    public HashSet<string> RequestIds { get; } = new(StringComparer.Ordinal);

    public bool CancelRequested { get; set; }

    public List<ClockTimer> RunTimers { get; } = [];

    public List<QueryTask> PendingQueries { get; } = [];

    /// <summary>Gets the parent's run while this run is a child workflow.</summary>
    public Execution? Parent { get; set; }

    public long ParentInitiatedEventId { get; set; }

    /// <summary>Wakes history long-polls waiting for a new event or the close.</summary>
    public TaskCompletionSource Changed { get; private set; } = NewSignal();

    public bool HasBuffered => buffered.Count > 0;

    /// <summary>Gets the run's updates by id, in flight or completed; rejected ones are forgotten, as the real server does.</summary>
    public Dictionary<string, UpdateState> Updates { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets what the on-disk store knows of this run; null when the server keeps memory only.</summary>
    public PersistedRun? Persisted { get; set; }

    /// <summary>Appends an event with the next id and the given attributes.</summary>
    public HistoryEvent Append(EventType type, DateTime time, Action<HistoryEvent> attributes) =>
        capturing ? Persisted!.Capture(type, time, attributes) : AppendBuilt(Build(type, time, NextEventId, attributes));

    /// <summary>Builds an event with the given id without writing it (a speculative or transient workflow task's events).</summary>
    public static HistoryEvent Build(EventType type, DateTime time, long eventId, Action<HistoryEvent> attributes)
    {
        var e = new HistoryEvent { EventId = eventId, EventType = type, EventTime = Timestamp.FromDateTime(time), TaskId = eventId };
        attributes(e);
        return e;
    }

    /// <summary>Writes an event built beforehand; its id must be the next one, as the worker already saw it.</summary>
    public HistoryEvent AppendBuilt(HistoryEvent e)
    {
        if (e.EventId != NextEventId) throw new InvalidOperationException($"event {e.EventId} ({e.EventType}) written at position {NextEventId}");
        events.Add(e);
        HistorySizeBytes += e.CalculateSize();
        Persisted?.MarkChanged(this);
        var changed = Changed;
        Changed = NewSignal();
        changed.TrySetResult();
        return e;
    }

    /// <summary>Takes back the last event (a workflow task start whose poll response was never delivered).</summary>
    public bool Retract(HistoryEvent e)
    {
        if (events.Count == 0 || !ReferenceEquals(events[^1], e)) return false;

        // An event the file already holds stays: history on disk is append-only, so the task times out instead.
        if (Persisted is { } stored && stored.StoredEvents >= events.Count) return false;
        events.RemoveAt(events.Count - 1);
        HistorySizeBytes -= e.CalculateSize();
        return true;
    }

    /// <summary>
    /// Writes an event now, or after the in-flight workflow task completes (the real server's buffering). When the run
    /// is persisted, the write also runs once in capture mode so the store keeps the buffered event: a buffered write
    /// must therefore only append to this run and have no other lasting side effect.
    /// </summary>
    public void AppendOrBuffer(Action write)
    {
        if (WorkflowTask.State != WorkflowTaskPhase.Started)
        {
            write();
            return;
        }

        buffered.Add(write);
        if (Persisted is null) return;
        capturing = true;
        try
        {
            write();
        }
        finally
        {
            capturing = false;
        }

        Persisted.MarkChanged(this);
    }

    /// <summary>Writes the events buffered during a workflow task; returns how many writes ran.</summary>
    public int FlushBuffered()
    {
        var writes = buffered.ToArray();
        buffered.Clear();
        Persisted?.ClearCaptured(this);
        foreach (var write in writes) write();
        return writes.Length;
    }

    /// <summary>Marks side state that no event carries (activity attempts, heartbeats) as changed for the store.</summary>
    public void MarkChanged() => Persisted?.MarkChanged(this);

    /// <summary>Puts back an event read from the store, without waking anyone.</summary>
    public void Restore(HistoryEvent e)
    {
        events.Add(e);
        HistorySizeBytes += e.CalculateSize();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Where the run's one workflow task is.</summary>
public enum WorkflowTaskPhase
{
    None,
    Scheduled,
    Started,
}

/// <summary>The workflow task the real server keeps per run (at most one scheduled or started).</summary>
public sealed class WorkflowTaskState
{
    public WorkflowTaskPhase State { get; set; }

    public long ScheduledEventId { get; set; }

    public long StartedEventId { get; set; }

    public int Attempt { get; set; } = 1;

    public long PreviousStartedEventId { get; set; }

    public DateTime ScheduledTime { get; set; }

    public DateTime StartedTime { get; set; }

    public ClockTimer? Timeout { get; set; }

    /// <summary>Gets or sets the token generation, so a token from a timed-out attempt is refused.</summary>
    public long Generation { get; set; }

    /// <summary>Gets or sets which scheduling this is, so a queue entry from an earlier scheduling is skipped.</summary>
    public long Sequence { get; set; }

    /// <summary>Gets or sets a value indicating whether the task was created to deliver updates and may leave no events.</summary>
    public bool Speculative { get; set; }

    /// <summary>
    /// Gets a value indicating whether the task's scheduled and started events stay out of history until it completes:
    /// a speculative task, or a retry after a failed attempt (the real server's transient workflow task).
    /// </summary>
    public bool Unwritten => Speculative || Attempt > 1;

    /// <summary>Gets or sets the scheduled and started events of an unwritten task, sent to the worker but not yet in history.</summary>
    public List<HistoryEvent> PendingEvents { get; set; } = [];

    /// <summary>Gets or sets the started event written for a written task, so an undelivered start can be taken back.</summary>
    public HistoryEvent? StartedEvent { get; set; }

    /// <summary>Gets the updates whose requests went out with this task.</summary>
    public List<string> SentUpdates { get; } = [];
}

/// <summary>Where an update is in the real server's lifecycle.</summary>
public enum UpdatePhase
{
    Admitted,
    Sent,
    Accepted,
    Completed,
}

/// <summary>One workflow update: its request, where it is, and what its callers wait for.</summary>
public sealed class UpdateState
{
    required public string Id { get; init; }

    required public Temporalio.Api.Update.V1.Request Request { get; init; }

    public UpdatePhase Phase { get; set; }

    public DateTime AdmittedTime { get; init; }

    public long AcceptedEventId { get; set; }

    /// <summary>Gets or sets the outcome: the handler's result or failure, a rejection, or the server's failure.</summary>
    public Temporalio.Api.Update.V1.Outcome? Outcome { get; set; }

    /// <summary>Gets or sets the error callers get instead of an outcome (aborted before acceptance).</summary>
    public global::Grpc.Core.RpcException? Error { get; set; }

    /// <summary>Gets or sets a value indicating whether callers should retry on the workflow's next run (continue-as-new).</summary>
    public bool RetryOnNextRun { get; set; }

    /// <summary>Gets wakes callers waiting for a stage.</summary>
    public TaskCompletionSource Changed { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void NotifyChanged()
    {
        var changed = Changed;
        Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}

/// <summary>A scheduled activity, through its attempts, until it closes.</summary>
public sealed class ActivityState
{
    required public long ScheduledEventId { get; init; }

    required public ActivityTaskScheduledEventAttributes Attributes { get; init; }

    required public DateTime FirstScheduledTime { get; init; }

    public DateTime AttemptScheduledTime { get; set; }

    public int Attempt { get; set; } = 1;

    public bool Started { get; set; }

    public DateTime StartedTime { get; set; }

    public string StartedIdentity { get; set; } = string.Empty;

    public string StartedRequestId { get; set; } = string.Empty;

    public DateTime? LastHeartbeatTime { get; set; }

    public Payloads? HeartbeatDetails { get; set; }

    public Temporalio.Api.Failure.V1.Failure? LastFailure { get; set; }

    public string LastWorkerIdentity { get; set; } = string.Empty;

    public bool CancelRequested { get; set; }

    public long CancelRequestedEventId { get; set; }

    /// <summary>Gets or sets a value indicating whether the activity waits out a retry backoff.</summary>
    public bool InBackoff { get; set; }

    /// <summary>Gets or sets when the next attempt is dispatched while <see cref="InBackoff"/>.</summary>
    public DateTime NextAttemptTime { get; set; }

    public List<ClockTimer> AttemptTimers { get; } = [];

    public ClockTimer? ScheduleToCloseTimer { get; set; }

    public ClockTimer? HeartbeatTimer { get; set; }

    public void CancelAttemptTimers()
    {
        foreach (var t in AttemptTimers) t.Cancel();
        AttemptTimers.Clear();
        HeartbeatTimer?.Cancel();
        HeartbeatTimer = null;
    }
}

/// <summary>A started user timer.</summary>
public sealed record TimerState(long StartedEventId, ClockTimer Clock);

/// <summary>A child workflow the run initiated.</summary>
public sealed class ChildState
{
    required public long InitiatedEventId { get; init; }

    required public StartChildWorkflowExecutionInitiatedEventAttributes Attributes { get; init; }

    public long StartedEventId { get; set; }

    public string RunId { get; set; } = string.Empty;
}

/// <summary>A legacy query waiting for, or out on, a query task.</summary>
public sealed class QueryTask
{
    required public string Id { get; init; }

    required public Execution Execution { get; init; }

    required public Temporalio.Api.Query.V1.WorkflowQuery Query { get; init; }

    public TaskCompletionSource<Temporalio.Api.WorkflowService.V1.RespondQueryTaskCompletedRequest> Answer { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Dispatched { get; set; }
}

/// <summary>Helpers for protobuf durations and timestamps.</summary>
public static class Proto
{
    public static TimeSpan Span(Duration? d) => d is null ? TimeSpan.Zero : d.ToTimeSpan();

    public static Duration? Dur(TimeSpan t) => t <= TimeSpan.Zero ? null : Duration.FromTimeSpan(t);

    public static Timestamp Ts(DateTime t) => Timestamp.FromDateTime(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    public static ByteString Utf8(string s) => ByteString.CopyFromUtf8(s);
}
