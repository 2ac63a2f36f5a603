using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Runtime;
using Xunit;
using static TemporalDev.UnitTests.Schedules.SpecBuilder;

namespace TemporalDev.UnitTests.Schedules;

/// <summary>The durable schedule state survives its protobuf form unchanged.</summary>
public class ScheduleStateTests
{
    [Fact]
    public void Round_trip_keeps_every_field()
    {
        var schedule = new Schedule
        {
            Spec = Every(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(3)),
            Policies = new SchedulePolicies { OverlapPolicy = ScheduleOverlapPolicy.BufferAll, PauseOnFailure = true },
            State = new Temporalio.Api.Schedule.V1.ScheduleState { Paused = true, Notes = "operator", LimitedActions = true, RemainingActions = 4 },
        };
        var state = new TemporalDev.Schedules.Runtime.ScheduleState("default", "ns-id", "nightly", schedule)
        {
            ConflictToken = 7,
            LastProcessedTime = Utc(2026, 11, 23, 10, 30, 0, 250),
            Memo = new Memo { Fields = { ["owner"] = new Payload { Data = ByteString.CopyFromUtf8("\"team\"") } } },
            SearchAttributes = new SearchAttributes { IndexedFields = { ["Env"] = ScheduleSearchAttributes.Encode("\"prod\"", "Keyword") } },
            LastCompletionResult = new Payloads { Payloads_ = { new Payload { Data = ByteString.CopyFromUtf8("42") } } },
            ContinuedFailure = new Temporalio.Api.Failure.V1.Failure { Message = "boom" },
            NeedRefresh = true,
        };
        state.Info.ActionCount = 3;
        state.Info.MissedCatchupWindow = 1;
        state.Info.CreateTime = Timestamp.FromDateTimeOffset(Utc(2026, 11, 23, 9));
        state.Info.RunningWorkflows.Add(new WorkflowExecution { WorkflowId = "wf-2026-11-23T10:30:00Z", RunId = "r1" });
        state.BufferedStarts.Add(new BufferedStart(Utc(2026, 11, 23, 10, 40), Utc(2026, 11, 23, 10, 40, 2), ScheduleOverlapPolicy.Unspecified, false));
        state.BufferedStarts.Add(new BufferedStart(Utc(2026, 11, 20), Utc(2026, 11, 20), ScheduleOverlapPolicy.AllowAll, true));
        state.OngoingBackfills.Add(new BackfillRequest
        {
            StartTime = Timestamp.FromDateTimeOffset(Utc(2026, 11, 1)),
            EndTime = Timestamp.FromDateTimeOffset(Utc(2026, 11, 2)),
            OverlapPolicy = ScheduleOverlapPolicy.TerminateOther,
        });

        var copy = TemporalDev.Schedules.Runtime.ScheduleState.FromBytes(state.ToBytes());

        Assert.Equal(("default", "ns-id", "nightly"), (copy.Namespace, copy.NamespaceId, copy.ScheduleId));
        Assert.Equal(state.Schedule, copy.Schedule);
        Assert.Equal(state.Info, copy.Info);
        Assert.Equal(7, copy.ConflictToken);
        Assert.Equal(state.LastProcessedTime, copy.LastProcessedTime);
        Assert.Equal(state.BufferedStarts, copy.BufferedStarts);
        Assert.Equal(state.OngoingBackfills, copy.OngoingBackfills);
        Assert.Equal(state.Memo, copy.Memo);
        Assert.Equal(state.SearchAttributes, copy.SearchAttributes);
        Assert.Equal(state.LastCompletionResult, copy.LastCompletionResult);
        Assert.Equal(state.ContinuedFailure, copy.ContinuedFailure);
        Assert.True(copy.NeedRefresh);
    }

    [Fact]
    public void Round_trip_of_a_fresh_state_leaves_optional_parts_empty()
    {
        var state = new TemporalDev.Schedules.Runtime.ScheduleState("default", "ns-id", "s", new Schedule()) { LastProcessedTime = Utc(2026, 1, 1) };

        var copy = TemporalDev.Schedules.Runtime.ScheduleState.FromBytes(state.ToBytes());

        Assert.Null(copy.Memo);
        Assert.Null(copy.SearchAttributes);
        Assert.Null(copy.ContinuedFailure);
        Assert.Empty(copy.BufferedStarts);
        Assert.Equal(1, copy.ConflictToken);
        Assert.Equal(Utc(2026, 1, 1), copy.LastProcessedTime);
    }
}
