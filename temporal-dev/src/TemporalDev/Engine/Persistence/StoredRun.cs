using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine.Persistence;

/// <summary>One run as read back from the store at start-up.</summary>
public sealed class StoredRun
{
    required public long Key { get; init; }

    required public string RunId { get; init; }

    required public string Namespace { get; init; }

    required public string WorkflowId { get; init; }

    required public WorkflowExecutionStatus Status { get; init; }

    required public string StartRequestId { get; init; }

    required public IReadOnlyList<string> RequestIds { get; init; }

    required public DateTime StartTime { get; init; }

    required public DateTime ExecutionTime { get; init; }

    public DateTime? CloseTime { get; init; }

    public Memo? Memo { get; init; }

    public SearchAttributes? SearchAttributes { get; init; }

    public string? ParentRunId { get; init; }

    public long ParentInitiatedEventId { get; init; }

    public List<HistoryEvent> Events { get; } = [];

    public List<HistoryEvent> Buffered { get; } = [];

    public List<StoredActivity> Activities { get; } = [];
}

/// <summary>The side state of a pending activity that its ActivityTaskScheduled event does not carry.</summary>
public sealed record StoredActivity(
    long ScheduledEventId,
    int Attempt,
    bool Started,
    DateTime StartedTime,
    string StartedIdentity,
    string StartedRequestId,
    DateTime AttemptScheduledTime,
    DateTime? LastHeartbeatTime,
    Payloads? HeartbeatDetails,
    Failure? LastFailure,
    string LastWorkerIdentity,
    bool InBackoff,
    DateTime NextAttemptTime);
