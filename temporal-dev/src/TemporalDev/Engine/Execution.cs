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

    /// <summary>Gets the event that closed the run, once closed.</summary>
    public HistoryEvent? CloseEvent { get; set; }

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

    /// <summary>Gets or sets what the on-disk store knows of this run; null when the server keeps memory only.</summary>
    public PersistedRun? Persisted { get; set; }

    /// <summary>Appends an event with the next id and the given attributes.</summary>
    public HistoryEvent Append(EventType type, DateTime time, Action<HistoryEvent> attributes)
    {
        if (capturing) return Persisted!.Capture(type, time, attributes);
        var e = new HistoryEvent { EventId = NextEventId, EventType = type, EventTime = Timestamp.FromDateTime(time), TaskId = NextEventId };
        attributes(e);
        events.Add(e);
        HistorySizeBytes += e.CalculateSize();
        Persisted?.MarkChanged(this);
        var changed = Changed;
        Changed = NewSignal();
        changed.TrySetResult();
        return e;
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
