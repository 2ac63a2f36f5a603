using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Schedule.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Schedules.Jitter;
using TemporalDev.Schedules.Spec;

// InvalidScheduleError is deprecated in the API but the real server still fills it.
#pragma warning disable CS0612

namespace TemporalDev.Schedules.Runtime;

/// <summary>
/// One schedule's behaviour, as the real server's scheduler workflow (service/worker/scheduler/workflow.go, latest
/// version) has it: turn elapsed spec times into buffered starts (catch-up window, pause, remaining actions), apply
/// patches and updates, backfill, run the buffer through the overlap policy, watch running actions (pause on failure).
/// Not thread-safe: the host calls it under its own lock. <see cref="Wake"/> returns when to wake it next.
/// </summary>
public sealed class ScheduleMachine
{
    private const int FutureActionCount = 10;
    private const int RecentActionCount = 10;
    private const int FutureActionCountForList = 5;
    private const int RecentActionCountForList = 5;
    private const int MaxBufferSize = 1000;
    private const int BackfillsPerIteration = 10;
    private const int SpecFieldLengthLimit = 10;
    private const int MaxListMatchingTimes = 1000;

    private static readonly TimeSpan DefaultCatchupWindow = TimeSpan.FromDays(365);
    private static readonly TimeSpan MinCatchupWindow = TimeSpan.FromSeconds(10);

    private readonly IScheduleHost host;
    private CompiledScheduleSpec? spec;

    public ScheduleMachine(ScheduleState state, IScheduleHost host)
    {
        State = state;
        this.host = host;
        EnsureFields();
        CompileSpec();
    }

    /// <summary>Gets the durable state (what persistence stores).</summary>
    public ScheduleState State { get; }

    private string Identity => $"temporal-scheduler-{State.Namespace}-{State.ScheduleId}";

    private string JitterSeed => ScheduleJitter.SeedFor(State.NamespaceId, State.ScheduleId);

    private DateTimeOffset UpdateTime => State.Info.UpdateTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;

    /// <summary>A new schedule (its spec already canonical), created now.</summary>
    public static ScheduleMachine Create(
        IScheduleHost host, string ns, string namespaceId, string scheduleId, Schedule schedule, Memo? memo, SearchAttributes? searchAttributes)
    {
        var now = host.Now;
        var state = new ScheduleState(ns, namespaceId, scheduleId, schedule)
        {
            LastProcessedTime = now,
            ConflictToken = 1,
            Memo = memo,
            SearchAttributes = searchAttributes,
        };
        state.Info.CreateTime = Timestamp.FromDateTimeOffset(now);
        return new ScheduleMachine(state, host);
    }

    /// <summary>Throws <see cref="ScheduleConflictException"/> unless the token is 0 (no check) or the current one.</summary>
    public void CheckConflict(long token)
    {
        if (token != 0 && token != State.ConflictToken)
        {
            throw new ScheduleConflictException();
        }
    }

    /// <summary>
    /// One turn of the scheduler loop at the host's now: elapsed times, then the patch or update, backfills, the
    /// buffer. Returns the next time the schedule must be woken, or null when only a change or a closing action can wake it.
    /// </summary>
    public DateTimeOffset? Wake(SchedulePatch? patch = null, FullUpdate? update = null)
    {
        var start = State.LastProcessedTime;
        var now = host.Now;
        if (now < start)
        {
            now = start;
        }
        var (next, lastAction, _) = ProcessTimeRange(start, now, ScheduleOverlapPolicy.Unspecified, manual: false, int.MaxValue);
        State.LastProcessedTime = lastAction;
        if (patch is not null)
        {
            ProcessPatch(patch);
        }
        if (update is not null)
        {
            ProcessUpdate(update);
            (next, _, _) = ProcessTimeRange(State.LastProcessedTime, now, ScheduleOverlapPolicy.Unspecified, manual: false, int.MaxValue);
        }
        ProcessBackfills();
        while (ProcessBuffer())
        {
        }

        if (HasMoreAllowAllBackfills())
        {
            return host.Now.AddSeconds(1);
        }
        return CanTakeScheduledAction(manual: false, decrement: false) ? next : null;
    }

    /// <summary>What DescribeSchedule returns: the schedule (spec with range defaults), info with future action times, the token.</summary>
    public (Schedule Schedule, ScheduleInfo Info, long ConflictToken) Describe()
    {
        var info = State.Info.Clone();
        info.FutureActionTimes.Clear();
        info.FutureActionTimes.AddRange(FutureActionTimes(FutureActionCount));
        info.BufferSize = State.BufferedStarts.Count;

        // As the frontend does: only actions still running are reported as running.
        var running = info.RunningWorkflows.Where(ex => host.Watch(ex).Status == WorkflowExecutionStatus.Running).ToList();
        info.RunningWorkflows.Clear();
        info.RunningWorkflows.AddRange(running);
        var schedule = State.Schedule.Clone();
        schedule.Spec = ScheduleSpecCanonicalForm.Describe(schedule.Spec);
        return (schedule, info, State.ConflictToken);
    }

    /// <summary>What ListSchedules returns as the entry's info (the real server keeps it in the ScheduleInfo memo).</summary>
    public ScheduleListInfo ListInfo()
    {
        var listSpec = State.Schedule.Spec.Clone();
        listSpec.TimezoneData = ByteString.Empty;
        Truncate(listSpec.ExcludeStructuredCalendar);
        Truncate(listSpec.Interval);
        Truncate(listSpec.StructuredCalendar);
        var info = new ScheduleListInfo
        {
            Spec = ScheduleSpecCanonicalForm.Describe(listSpec),
            WorkflowType = State.Schedule.Action?.StartWorkflow?.WorkflowType,
            Notes = State.Schedule.State.Notes,
            Paused = State.Schedule.State.Paused,
        };
        info.RecentActions.AddRange(State.Info.RecentActions.Skip(Math.Max(0, State.Info.RecentActions.Count - RecentActionCountForList)));
        info.FutureActionTimes.AddRange(FutureActionTimes(FutureActionCountForList));
        return info;
    }

    /// <summary>The spec's action times in [start, end] (ListScheduleMatchingTimes), at most 1000.</summary>
    public IReadOnlyList<Timestamp> MatchingTimes(DateTimeOffset start, DateTimeOffset end)
    {
        if (spec is null)
        {
            throw new ScheduleSpecException($"invalid schedule: {State.Info.InvalidScheduleError}");
        }
        var times = new List<Timestamp>();
        var t = start;
        for (var i = 0; i < MaxListMatchingTimes; i++)
        {
            if (spec.NextTime(JitterSeed, t) is not { } next || next.Actual > end)
            {
                break;
            }
            t = next.Actual;
            times.Add(Timestamp.FromDateTimeOffset(t));
        }
        return times;
    }

    /// <summary>The next action times after the last processed time, within the remaining actions and after the last update.</summary>
    private List<Timestamp> FutureActionTimes(int count)
    {
        var times = new List<Timestamp>();
        if (spec is null)
        {
            return times;
        }
        if (State.Schedule.State.LimitedActions)
        {
            count = (int)Math.Min(State.Schedule.State.RemainingActions, count);
        }
        var t = State.LastProcessedTime;
        while (times.Count < count && NextTime(t) is { } next)
        {
            t = next.Actual;
            if (UpdateTime > t)
            {
                continue;
            }
            times.Add(Timestamp.FromDateTimeOffset(t));
        }
        return times;
    }

    private static void Truncate<T>(Google.Protobuf.Collections.RepeatedField<T> field)
    {
        while (field.Count > SpecFieldLengthLimit)
        {
            field.RemoveAt(field.Count - 1);
        }
    }

    private void EnsureFields()
    {
        var schedule = State.Schedule;
        schedule.Spec ??= new ScheduleSpec();
        schedule.Action ??= new ScheduleAction();
        schedule.Policies ??= new SchedulePolicies();
        schedule.State ??= new Temporalio.Api.Schedule.V1.ScheduleState();

        // Defaults are filled in eagerly so that Describe shows them.
        schedule.Policies.OverlapPolicy = Resolve(schedule.Policies.OverlapPolicy);
        schedule.Policies.CatchupWindow = Duration.FromTimeSpan(CatchupWindow());
    }

    private void CompileSpec()
    {
        try
        {
            spec = CompiledScheduleSpec.Compile(State.Schedule.Spec);
            State.Info.InvalidScheduleError = string.Empty;
        }
        catch (ScheduleSpecException e)
        {
            spec = null;
            State.Info.InvalidScheduleError = e.Message;
        }
    }

    private TimeSpan CatchupWindow()
    {
        var window = State.Schedule.Policies.CatchupWindow;
        if (window is null)
        {
            return DefaultCatchupWindow;
        }
        var span = window.ToTimeSpan();
        return span < MinCatchupWindow ? MinCatchupWindow : span;
    }

    private ScheduleOverlapPolicy Resolve(ScheduleOverlapPolicy policy)
    {
        if (policy == ScheduleOverlapPolicy.Unspecified)
        {
            policy = State.Schedule.Policies?.OverlapPolicy ?? ScheduleOverlapPolicy.Unspecified;
        }
        return policy == ScheduleOverlapPolicy.Unspecified ? ScheduleOverlapPolicy.Skip : policy;
    }

    private ScheduleTime? NextTime(DateTimeOffset after) => spec?.NextTime(JitterSeed, after);

    /// <summary>Turns the spec times in (start, end] into buffered starts; returns the first time after the range, the last action time and the limit left.</summary>
    private (DateTimeOffset? Next, DateTimeOffset LastAction, int Limit) ProcessTimeRange(
        DateTimeOffset start, DateTimeOffset end, ScheduleOverlapPolicy overlapPolicy, bool manual, int limit)
    {
        if (spec is null)
        {
            return (null, end, limit);
        }

        // Paused or out of actions: the whole range is passed over (and not counted as missed).
        if (!CanTakeScheduledAction(manual, decrement: false))
        {
            return (NextTime(end)?.Actual, end, limit);
        }
        var catchupWindow = CatchupWindow();
        var lastAction = start;
        ScheduleTime? next;
        for (next = NextTime(start); next is { } n && n.Actual <= end; next = NextTime(n.Actual))
        {
            if (!manual && UpdateTime > n.Actual)
            {
                // Times before the last update were processed under the old schedule.
                continue;
            }
            if (!manual && end - n.Actual > catchupWindow)
            {
                State.Info.MissedCatchupWindow++;
                continue;
            }
            AddStart(n.Nominal, n.Actual, overlapPolicy, manual);
            lastAction = n.Actual;
            if (--limit <= 0)
            {
                break;
            }
        }
        return (next?.Actual, lastAction, limit);
    }

    private bool CanTakeScheduledAction(bool manual, bool decrement)
    {
        if (manual)
        {
            return true;
        }
        var state = State.Schedule.State;
        if (state.Paused)
        {
            return false;
        }
        if (!state.LimitedActions)
        {
            return true;
        }
        if (state.RemainingActions > 0)
        {
            if (decrement)
            {
                state.RemainingActions--;
                State.ConflictToken++;
            }
            return true;
        }
        return false;
    }

    private void ProcessPatch(SchedulePatch patch)
    {
        if (patch.TriggerImmediately is { } trigger)
        {
            var at = trigger.ScheduledTime?.ToDateTimeOffset() ?? host.Now;
            AddStart(at, at, trigger.OverlapPolicy, manual: true);
        }
        foreach (var request in patch.BackfillRequest)
        {
            if (State.OngoingBackfills.Count >= MaxBufferSize)
            {
                State.Info.BufferDropped++;
                continue;
            }

            // The start time is inclusive: move it just before, because the spec search is strictly after.
            var backfill = request.Clone();
            backfill.StartTime = Timestamp.FromDateTimeOffset((backfill.StartTime?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch).AddMilliseconds(-1));
            State.OngoingBackfills.Add(backfill);
        }
        if (patch.Pause.Length > 0)
        {
            State.Schedule.State.Paused = true;
            State.Schedule.State.Notes = patch.Pause;
            State.ConflictToken++;
        }
        if (patch.Unpause.Length > 0)
        {
            State.Schedule.State.Paused = false;
            State.Schedule.State.Notes = patch.Unpause;
            State.ConflictToken++;
        }
    }

    private void ProcessUpdate(FullUpdate update)
    {
        if (update.ConflictToken != 0 && update.ConflictToken != State.ConflictToken)
        {
            return;
        }
        State.Schedule.Spec = update.Schedule.Spec;
        State.Schedule.Action = update.Schedule.Action;
        State.Schedule.Policies = update.Schedule.Policies;
        State.Schedule.State = update.Schedule.State;
        EnsureFields();
        CompileSpec();
        if (update.SearchAttributes is not null)
        {
            State.SearchAttributes = update.SearchAttributes.IndexedFields.Count == 0 ? null : update.SearchAttributes;
        }
        State.Info.UpdateTime = Timestamp.FromDateTimeOffset(host.Now);
        State.ConflictToken++;
    }

    private void ProcessBackfills()
    {
        var limit = BackfillsPerIteration;
        while (State.OngoingBackfills.Count > 0 && limit > 0 && State.BufferedStarts.Count < MaxBufferSize / 2)
        {
            var backfill = State.OngoingBackfills[0];
            var end = backfill.EndTime?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch;
            DateTimeOffset? next;
            (next, _, limit) = ProcessTimeRange(
                backfill.StartTime.ToDateTimeOffset(), end, backfill.OverlapPolicy, manual: true, limit);
            if (next is not { } resume || resume > end)
            {
                State.OngoingBackfills.RemoveAt(0);
            }
            else
            {
                backfill.StartTime = Timestamp.FromDateTimeOffset(resume);
            }
        }
    }

    private bool HasMoreAllowAllBackfills() =>
        State.OngoingBackfills.Count > 0 && Resolve(State.OngoingBackfills[0].OverlapPolicy) == ScheduleOverlapPolicy.AllowAll;

    private void AddStart(DateTimeOffset nominal, DateTimeOffset actual, ScheduleOverlapPolicy overlapPolicy, bool manual)
    {
        if (State.BufferedStarts.Count >= MaxBufferSize)
        {
            State.Info.BufferDropped++;
            return;
        }
        State.BufferedStarts.Add(new BufferedStart(nominal, actual, overlapPolicy, manual));

        // A new start is to be decided, so the running actions' status must be current.
        State.NeedRefresh = true;
    }

    /// <summary>Starts what the overlap policy allows; returns true when the buffer should be looked at again right away.</summary>
    private bool ProcessBuffer()
    {
        if (State.NeedRefresh)
        {
            foreach (var running in State.Info.RunningWorkflows.ToList())
            {
                ProcessWatcherResult(running.WorkflowId, host.Watch(running));
            }
            State.NeedRefresh = false;
        }
        var action = State.Schedule.Action?.StartWorkflow;
        if (action is null || State.BufferedStarts.Count == 0)
        {
            State.BufferedStarts.Clear();
            return false;
        }

        var isRunning = State.Info.RunningWorkflows.Count > 0;
        var decision = OverlapBuffer.Decide(State.BufferedStarts, isRunning, Resolve);
        State.BufferedStarts.Clear();
        State.BufferedStarts.AddRange(decision.NewBuffer);
        State.Info.OverlapSkipped += decision.OverlapSkipped;

        var tryAgain = false;
        var starts = decision.OverlappingStarts.ToList();
        if (decision.NonOverlappingStart is { } single)
        {
            starts.Add(single);
        }
        foreach (var start in starts)
        {
            if (!CanTakeScheduledAction(start.Manual, decrement: true))
            {
                // Paused or out of actions: drain the buffer.
                tryAgain = true;
                continue;
            }
            if (StartWorkflow(start, action) is not { } result)
            {
                tryAgain = true;
                continue;
            }
            RecordAction(result, nonOverlapping: ReferenceEquals(start, decision.NonOverlappingStart));
        }

        if (decision.NeedTerminate)
        {
            foreach (var running in State.Info.RunningWorkflows)
            {
                host.TerminateWorkflow(running, "terminated by schedule overlap policy", Identity);
            }
        }
        else if (decision.NeedCancel)
        {
            foreach (var running in State.Info.RunningWorkflows)
            {
                host.CancelWorkflow(running, "cancelled by schedule overlap policy", Identity);
            }
        }
        return tryAgain;
    }

    private void RecordAction(ScheduleActionResult result, bool nonOverlapping)
    {
        State.Info.ActionCount++;
        State.Info.RecentActions.Add(result);
        while (State.Info.RecentActions.Count > RecentActionCount)
        {
            State.Info.RecentActions.RemoveAt(0);
        }

        // AllowAll actions may overlap, so they are not tracked as running (nor watched for pause on failure).
        if (nonOverlapping && result.StartWorkflowResult is not null)
        {
            State.Info.RunningWorkflows.Add(result.StartWorkflowResult);
        }
    }

    private ScheduleActionResult? StartWorkflow(BufferedStart start, NewWorkflowExecutionInfo action)
    {
        var nominalSecond = DateTimeOffset.FromUnixTimeSeconds(start.NominalTime.ToUnixTimeSeconds());
        var workflowId = ScheduledWorkflowId.For(action.WorkflowId, start.NominalTime);
        var allowAll = start.OverlapPolicy == ScheduleOverlapPolicy.AllowAll;
        var request = new StartWorkflowExecutionRequest
        {
            Namespace = State.Namespace,
            WorkflowId = workflowId,
            WorkflowType = action.WorkflowType,
            TaskQueue = action.TaskQueue,
            Input = action.Input,
            WorkflowExecutionTimeout = action.WorkflowExecutionTimeout,
            WorkflowRunTimeout = action.WorkflowRunTimeout,
            WorkflowTaskTimeout = action.WorkflowTaskTimeout,
            Identity = Identity,
            RequestId = Guid.NewGuid().ToString(),

            // Scheduled starts never start the same nominal time twice; a person may ask for a time again.
            WorkflowIdReusePolicy = start.Manual ? WorkflowIdReusePolicy.AllowDuplicate : WorkflowIdReusePolicy.RejectDuplicate,
            RetryPolicy = action.RetryPolicy,
            Memo = action.Memo,
            SearchAttributes = WithScheduleAttributes(action.SearchAttributes, nominalSecond),
            Header = action.Header,
            LastCompletionResult = allowAll ? null : State.LastCompletionResult,
            ContinuedFailure = allowAll ? null : State.ContinuedFailure,
            UserMetadata = action.UserMetadata,
        };
        var outcome = host.StartWorkflow(request);
        if (outcome.RunId is null)
        {
            return null;
        }
        return new ScheduleActionResult
        {
            ScheduleTime = Timestamp.FromDateTimeOffset(start.ActualTime),
            ActualTime = Timestamp.FromDateTimeOffset(host.Now),
            StartWorkflowResult = new WorkflowExecution { WorkflowId = workflowId, RunId = outcome.RunId },
            StartWorkflowStatus = WorkflowExecutionStatus.Running,
        };
    }

    private SearchAttributes WithScheduleAttributes(SearchAttributes? attributes, DateTimeOffset nominal)
    {
        var result = new SearchAttributes();
        if (attributes is not null)
        {
            result.IndexedFields.Add(attributes.IndexedFields);
        }
        var time = nominal.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        result.IndexedFields[ScheduleSearchAttributes.ScheduledStartTime] = ScheduleSearchAttributes.Encode($"\"{time}\"", "Datetime");
        result.IndexedFields[ScheduleSearchAttributes.ScheduledById] = ScheduleSearchAttributes.Encode(
            System.Text.Json.JsonSerializer.Serialize(State.ScheduleId), "Keyword");
        return result;
    }

    private void ProcessWatcherResult(string workflowId, ActionStatus status)
    {
        if (status.Status == WorkflowExecutionStatus.Running)
        {
            return;
        }
        var index = State.Info.RunningWorkflows.ToList().FindIndex(ex => ex.WorkflowId == workflowId);
        if (index >= 0)
        {
            State.Info.RunningWorkflows.RemoveAt(index);
        }
        if (State.Info.RecentActions.FirstOrDefault(a => a.StartWorkflowResult?.WorkflowId == workflowId) is { } recent)
        {
            recent.StartWorkflowStatus = status.Status;
        }

        var failed = status.Status is WorkflowExecutionStatus.Failed or WorkflowExecutionStatus.TimedOut;
        if (State.Schedule.Policies.PauseOnFailure && failed && !State.Schedule.State.Paused)
        {
            State.Schedule.State.Paused = true;
            State.Schedule.State.Notes = status.Status == WorkflowExecutionStatus.Failed
                ? $"paused due to workflow failure: {workflowId}: {status.Failure?.Message}"
                : $"paused due to workflow timeout: {workflowId}";
            State.ConflictToken++;
        }
        if (status.Result is not null)
        {
            State.LastCompletionResult = status.Result;
            State.ContinuedFailure = null;
        }
        else if (status.Failure is not null)
        {
            State.ContinuedFailure = status.Failure;
        }
    }
}

/// <summary>An UpdateSchedule request as the scheduler applies it: the new schedule (spec canonical), the token, the schedule's own search attributes.</summary>
public sealed record FullUpdate(Schedule Schedule, long ConflictToken, SearchAttributes? SearchAttributes);

/// <summary>The search attributes the real server puts on every workflow a schedule starts.</summary>
public static class ScheduleSearchAttributes
{
    public const string ScheduledStartTime = "TemporalScheduledStartTime";

    public const string ScheduledById = "TemporalScheduledById";

    /// <summary>A JSON payload carrying its search-attribute type, as the SDK's typed search attributes read it.</summary>
    public static Payload Encode(string json, string type) => new()
    {
        Metadata =
        {
            ["encoding"] = ByteString.CopyFromUtf8("json/plain"),
            ["type"] = ByteString.CopyFromUtf8(type),
        },
        Data = ByteString.CopyFromUtf8(json),
    };
}
