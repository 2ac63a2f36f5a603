using System.Buffers.Binary;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Schedule.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Engine.Persistence;
using TemporalDev.Engine.Schedules;
using TemporalDev.Grpc;
using TemporalDev.Query.Evaluation;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;
using TemporalDev.Schedules.Runtime;
using TemporalDev.Schedules.Spec;

namespace TemporalDev.Engine;

/// <summary>
/// Schedules: the Create/Describe/Update/Patch/Delete/List RPCs over <see cref="ScheduleMachine"/>, woken by a
/// virtual-clock timer (which, like a user timer, never holds the time-skipping lock) and by its actions closing.
/// </summary>
public sealed partial class WorkflowEngine
{
    private const int ScheduleNotesSizeLimit = 1000;
    private const int DefaultSchedulePageSize = 1000;
    private const string ScheduleBlobKind = "schedule";

    private readonly Dictionary<(string Ns, string ScheduleId), ScheduleRuntime> schedules = [];

    // Which schedule started a workflow id, so that its close wakes the schedule.
    private readonly Dictionary<(string Ns, string WorkflowId), string> scheduledActions = [];

    // The launch flags' attributes; attributes added later through OperatorService are not seen here yet.
    private SearchAttributeRegistry? scheduleQueryRegistry;

    public CreateScheduleResponse CreateSchedule(CreateScheduleRequest request)
    {
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            if (string.IsNullOrEmpty(request.ScheduleId)) throw RpcErrors.InvalidArgument("ScheduleId is not set on request.");
            if (string.IsNullOrEmpty(request.RequestId)) throw RpcErrors.InvalidArgument("RequestId is not set on request.");
            var key = (request.Namespace, request.ScheduleId);
            if (schedules.TryGetValue(key, out var existing))
            {
                // The same request again (a client retry) succeeds, as a repeated workflow start with the same request id does.
                if (existing.RequestId == request.RequestId) return new CreateScheduleResponse { ConflictToken = EncodeToken(1) };
                throw RpcErrors.AlreadyStarted($"schedule \"{request.ScheduleId}\" is already registered", string.Empty, string.Empty);
            }

            var schedule = request.Schedule?.Clone() ?? new Schedule();
            Canonicalize(schedule);
            ValidateScheduledAction(schedule.Action?.StartWorkflow);
            var machine = ScheduleMachine.Create(
                new ScheduleHost(this, request.Namespace, request.ScheduleId), request.Namespace, NamespaceId(request.Namespace), request.ScheduleId, schedule, NonEmpty(request.Memo), NonEmpty(request.SearchAttributes));
            var runtime = new ScheduleRuntime(machine, request.RequestId);
            schedules[key] = runtime;
            WakeSchedule(runtime, request.InitialPatch);
            return new CreateScheduleResponse { ConflictToken = EncodeToken(1) };
        }
    }

    private SearchAttributeRegistry ScheduleQueryRegistry =>
        scheduleQueryRegistry ??= SearchAttributeRegistry.FromLaunchFlags(Options.SearchAttributes.Select(a => $"{a.Key}={a.Value}"));

    public DescribeScheduleResponse DescribeSchedule(DescribeScheduleRequest request)
    {
        lock (gate)
        {
            var runtime = FindSchedule(request.Namespace, request.ScheduleId);
            var (schedule, info, token) = runtime.Machine.Describe();
            var state = runtime.Machine.State;
            return new DescribeScheduleResponse
            {
                Schedule = schedule,
                Info = info,
                Memo = state.Memo?.Clone(),
                SearchAttributes = state.SearchAttributes?.Clone(),
                ConflictToken = EncodeToken(token),
            };
        }
    }

    public UpdateScheduleResponse UpdateSchedule(UpdateScheduleRequest request)
    {
        lock (gate)
        {
            var runtime = FindSchedule(request.Namespace, request.ScheduleId);
            var schedule = request.Schedule?.Clone() ?? new Schedule();
            ValidateScheduledAction(schedule.Action?.StartWorkflow);
            Canonicalize(schedule);
            var token = DecodeToken(request.ConflictToken);
            try
            {
                runtime.Machine.CheckConflict(token);
            }
            catch (ScheduleConflictException e)
            {
                throw RpcErrors.FailedPrecondition(e.Message);
            }

            if (request.Memo is not null) runtime.Machine.State.Memo = NonEmpty(request.Memo);
            WakeSchedule(runtime, update: new FullUpdate(schedule, token, request.SearchAttributes));
            return new UpdateScheduleResponse();
        }
    }

    public PatchScheduleResponse PatchSchedule(PatchScheduleRequest request)
    {
        lock (gate)
        {
            if (request.Patch is null) throw RpcErrors.InvalidArgument("Patch is not set on request.");
            if (request.Patch.Pause.Length > ScheduleNotesSizeLimit || request.Patch.Unpause.Length > ScheduleNotesSizeLimit)
            {
                throw RpcErrors.InvalidArgument("Schedule notes exceeds limit.");
            }

            var runtime = FindSchedule(request.Namespace, request.ScheduleId);
            var patch = request.Patch.Clone();
            if (patch.TriggerImmediately is { ScheduledTime: null } trigger) trigger.ScheduledTime = Proto.Ts(Now);
            WakeSchedule(runtime, patch);
            return new PatchScheduleResponse();
        }
    }

    public DeleteScheduleResponse DeleteSchedule(DeleteScheduleRequest request)
    {
        lock (gate)
        {
            var runtime = FindSchedule(request.Namespace, request.ScheduleId);
            runtime.Timer?.Cancel();

            // The actions it started are not its children: they keep running.
            schedules.Remove((request.Namespace, request.ScheduleId));
            journal?.Delete(ScheduleBlobKind, ScheduleBlobKey(request.Namespace, request.ScheduleId));
            return new DeleteScheduleResponse();
        }
    }

    public ListSchedulesResponse ListSchedules(ListSchedulesRequest request)
    {
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            VisibilityQuery? query;
            try
            {
                query = string.IsNullOrWhiteSpace(request.Query) ? null : VisibilityQuery.Compile(request.Query, ScheduleQueryRegistry);
            }
            catch (Exception e) when (e is QueryException or SearchAttributeException)
            {
                throw RpcErrors.InvalidArgument($"invalid query: {e.Message}");
            }

            var all = schedules.Where(s => s.Key.Ns == request.Namespace)
                .Select(s => new ScheduleVisibilityRecord(s.Key.ScheduleId, s.Value.Machine.State, ScheduleQueryRegistry))
                .Where(r => query is null || query.Matches(r))
                .ToList();
            all.Sort(query is null ? VisibilityQuery.DefaultOrder : query.Compare);
            var offset = request.NextPageToken.Length == 8 ? (int)DecodeToken(request.NextPageToken) : 0;
            var size = request.MaximumPageSize > 0 ? request.MaximumPageSize : DefaultSchedulePageSize;
            var response = new ListSchedulesResponse();
            foreach (var record in all.Skip(offset).Take(size))
            {
                response.Schedules.Add(new ScheduleListEntry
                {
                    ScheduleId = record.ScheduleId,
                    Memo = record.State.Memo?.Clone(),
                    SearchAttributes = record.State.SearchAttributes?.Clone(),
                    Info = schedules[(request.Namespace, record.ScheduleId)].Machine.ListInfo(),
                });
            }

            if (offset + size < all.Count) response.NextPageToken = EncodeToken(offset + size);
            return response;
        }
    }

    public ListScheduleMatchingTimesResponse ListScheduleMatchingTimes(ListScheduleMatchingTimesRequest request)
    {
        lock (gate)
        {
            if (request.StartTime is null || request.EndTime is null) throw RpcErrors.InvalidArgument("missing or invalid query");
            var runtime = FindSchedule(request.Namespace, request.ScheduleId);
            try
            {
                var response = new ListScheduleMatchingTimesResponse();
                response.StartTime.AddRange(runtime.Machine.MatchingTimes(request.StartTime.ToDateTimeOffset(), request.EndTime.ToDateTimeOffset()));
                return response;
            }
            catch (ScheduleSpecException e)
            {
                throw RpcErrors.FailedPrecondition(e.Message);
            }
        }
    }

    /// <summary>Gets the durable state of every schedule (for persistence: <see cref="TemporalDev.Schedules.Runtime.ScheduleState.ToBytes"/>).</summary>
    public IReadOnlyList<TemporalDev.Schedules.Runtime.ScheduleState> ScheduleStates()
    {
        lock (gate) return [.. schedules.Values.Select(s => s.Machine.State)];
    }

    /// <summary>
    /// Brings a schedule back from its durable state after a restart: it resumes from its last processed time, so
    /// times missed while the server was down are started or counted as missed by the catch-up window.
    /// </summary>
    public void RestoreSchedule(TemporalDev.Schedules.Runtime.ScheduleState state)
    {
        lock (gate)
        {
            var runtime = new ScheduleRuntime(new ScheduleMachine(state, new ScheduleHost(this, state.Namespace, state.ScheduleId)), string.Empty);
            schedules[(state.Namespace, state.ScheduleId)] = runtime;
            foreach (var running in state.Info.RunningWorkflows) scheduledActions[(state.Namespace, running.WorkflowId)] = state.ScheduleId;
            state.NeedRefresh = true;
            WakeSchedule(runtime);
        }
    }

    /// <summary>Called when a run closes: a schedule watching its chain looks again, once the close is complete.</summary>
    private void OnScheduledActionClosed(Execution run)
    {
        if (!scheduledActions.TryGetValue((run.Namespace, run.WorkflowId), out var scheduleId)) return;
        Clock.After(TimeSpan.Zero, () =>
        {
            if (!schedules.TryGetValue((run.Namespace, scheduleId), out var runtime)) return;
            runtime.Machine.State.NeedRefresh = true;
            WakeSchedule(runtime);
        });
    }

    /// <summary>Runs one turn of the schedule and sets its timer for the next wake-up.</summary>
    private void WakeSchedule(ScheduleRuntime runtime, SchedulePatch? patch = null, FullUpdate? update = null)
    {
        runtime.Timer?.Cancel();
        runtime.Timer = null;
        var next = runtime.Machine.Wake(patch, update);
        var state = runtime.Machine.State;
        journal?.Put(ScheduleBlobKind, ScheduleBlobKey(state.Namespace, state.ScheduleId), state.ToBytes());
        if (next is { } due)
        {
            runtime.Timer = Clock.Schedule(due.UtcDateTime, () =>
            {
                if (schedules.ContainsValue(runtime)) WakeSchedule(runtime);
            });
        }
    }

    private static string ScheduleBlobKey(string ns, string scheduleId) => $"{ns}\u001f{scheduleId}";

    /// <summary>Brings back every stored schedule after the runs are restored, so running actions re-link to their runs.</summary>
    private void RestoreSchedules(RunJournal store)
    {
        foreach (var (_, data) in store.Load(ScheduleBlobKind)) RestoreSchedule(TemporalDev.Schedules.Runtime.ScheduleState.FromBytes(data));
    }

    private ScheduleRuntime FindSchedule(string ns, string scheduleId)
    {
        RequireNamespace(ns);
        return schedules.TryGetValue((ns, scheduleId), out var runtime) ? runtime : throw RpcErrors.NotFound("schedule not found");
    }

    private static void Canonicalize(Schedule schedule)
    {
        try
        {
            schedule.Spec = CompiledScheduleSpec.Compile(schedule.Spec ?? new ScheduleSpec()).Canonical;
        }
        catch (ScheduleSpecException e)
        {
            throw RpcErrors.InvalidArgument(e.Message);
        }
    }

    private static void ValidateScheduledAction(NewWorkflowExecutionInfo? start)
    {
        if (start is null) return;
        if (start.WorkflowType is null || start.WorkflowType.Name.Length == 0) throw RpcErrors.InvalidArgument("WorkflowType is not set on request.");
        if (start.TaskQueue is null || start.TaskQueue.Name.Length == 0) throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        if (start.CronSchedule.Length > 0) throw RpcErrors.InvalidArgument("Schedule action must not have a CronSchedule.");
        if (start.WorkflowIdReusePolicy is not Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.Unspecified and not Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.AllowDuplicate)
        {
            throw RpcErrors.InvalidArgument("Schedule action's WorkflowIdReusePolicy may only be AllowDuplicate.");
        }
    }

    private static Memo? NonEmpty(Memo? memo) => memo is { Fields.Count: > 0 } ? memo.Clone() : null;

    private static SearchAttributes? NonEmpty(SearchAttributes? attributes) =>
        attributes is { IndexedFields.Count: > 0 } ? attributes.Clone() : null;

    /// <summary>The real server's token: the counter as 8 big-endian bytes.</summary>
    private static ByteString EncodeToken(long token)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, token);
        return ByteString.CopyFrom(bytes);
    }

    private static long DecodeToken(ByteString token) => token.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(token.Span) : 0;
}
