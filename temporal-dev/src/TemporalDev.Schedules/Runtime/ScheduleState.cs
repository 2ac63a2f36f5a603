using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.Schedule.V1;

namespace TemporalDev.Schedules.Runtime;

/// <summary>
/// Everything a schedule must keep across a restart: what the real server's scheduler workflow carries in its
/// <c>StartScheduleArgs</c> (the schedule, its info, the internal state) plus the schedule's own memo and search attributes.
/// <see cref="ToBytes"/> writes it as one protobuf message (layout in the remarks) for the persistence layer.
/// </summary>
/// <remarks>
/// <code>
/// message ScheduleStateRecord {
///   string namespace = 1;  string namespace_id = 2;  string schedule_id = 3;
///   temporal.api.schedule.v1.Schedule schedule = 4;  temporal.api.schedule.v1.ScheduleInfo info = 5;
///   int64 conflict_token = 6;  google.protobuf.Timestamp last_processed_time = 7;
///   repeated BufferedStartRecord buffered_starts = 8;  repeated temporal.api.schedule.v1.BackfillRequest ongoing_backfills = 9;
///   temporal.api.common.v1.Memo memo = 10;  temporal.api.common.v1.SearchAttributes search_attributes = 11;
///   temporal.api.common.v1.Payloads last_completion_result = 12;  temporal.api.failure.v1.Failure continued_failure = 13;
///   bool need_refresh = 14;
/// }
/// message BufferedStartRecord {
///   google.protobuf.Timestamp nominal_time = 1;  google.protobuf.Timestamp actual_time = 2;
///   temporal.api.enums.v1.ScheduleOverlapPolicy overlap_policy = 3;  bool manual = 4;
/// }
/// </code>
/// </remarks>
public sealed class ScheduleState
{
    public ScheduleState(string ns, string namespaceId, string scheduleId, Schedule schedule)
    {
        Namespace = ns;
        NamespaceId = namespaceId;
        ScheduleId = scheduleId;
        Schedule = schedule;
    }

    public string Namespace { get; }

    /// <summary>Gets the namespace id, part of the jitter seed.</summary>
    public string NamespaceId { get; }

    public string ScheduleId { get; }

    /// <summary>Gets or sets the schedule: canonical spec, action, policies with defaults filled in, and state.</summary>
    public Schedule Schedule { get; set; }

    public ScheduleInfo Info { get; set; } = new();

    /// <summary>Gets or sets the optimistic-concurrency token (1 at creation; every change adds one).</summary>
    public long ConflictToken { get; set; } = 1;

    /// <summary>Gets or sets the time up to which the spec has been turned into actions.</summary>
    public DateTimeOffset LastProcessedTime { get; set; }

    /// <summary>Gets the starts waiting for the overlap policy to let them run.</summary>
    public List<BufferedStart> BufferedStarts { get; } = [];

    /// <summary>Gets the backfill ranges not yet fully turned into buffered starts.</summary>
    public List<BackfillRequest> OngoingBackfills { get; } = [];

    public Memo? Memo { get; set; }

    public SearchAttributes? SearchAttributes { get; set; }

    /// <summary>Gets or sets the last successful action's result, passed to the next action.</summary>
    public Payloads? LastCompletionResult { get; set; }

    /// <summary>Gets or sets the last failed action's failure, passed to the next action.</summary>
    public Failure? ContinuedFailure { get; set; }

    /// <summary>Gets or sets a value indicating whether the running actions must be checked before the buffer is processed.</summary>
    public bool NeedRefresh { get; set; }

    /// <summary>Serialises the state as a ScheduleStateRecord (see the remarks).</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using var output = new CodedOutputStream(buffer, leaveOpen: true);
        WriteString(output, 1, Namespace);
        WriteString(output, 2, NamespaceId);
        WriteString(output, 3, ScheduleId);
        WriteMessage(output, 4, Schedule);
        WriteMessage(output, 5, Info);
        if (ConflictToken != 0)
        {
            output.WriteTag(6, WireFormat.WireType.Varint);
            output.WriteInt64(ConflictToken);
        }
        WriteMessage(output, 7, Timestamp.FromDateTimeOffset(LastProcessedTime));
        foreach (var start in BufferedStarts)
        {
            WriteMessage(output, 8, start.ToRecord());
        }
        foreach (var backfill in OngoingBackfills)
        {
            WriteMessage(output, 9, backfill);
        }
        WriteMessage(output, 10, Memo);
        WriteMessage(output, 11, SearchAttributes);
        WriteMessage(output, 12, LastCompletionResult);
        WriteMessage(output, 13, ContinuedFailure);
        if (NeedRefresh)
        {
            output.WriteTag(14, WireFormat.WireType.Varint);
            output.WriteBool(true);
        }
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>Reads a state written by <see cref="ToBytes"/>; unknown fields are skipped.</summary>
    public static ScheduleState FromBytes(byte[] bytes)
    {
        using var input = new CodedInputStream(bytes);
        string ns = string.Empty, namespaceId = string.Empty, scheduleId = string.Empty;
        var schedule = new Schedule();
        var info = new ScheduleInfo();
        long token = 0;
        var lastProcessed = new Timestamp();
        var starts = new List<BufferedStart>();
        var backfills = new List<BackfillRequest>();
        Memo? memo = null;
        SearchAttributes? attributes = null;
        Payloads? lastResult = null;
        Failure? failure = null;
        var needRefresh = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ns = input.ReadString(); break;
                case 2: namespaceId = input.ReadString(); break;
                case 3: scheduleId = input.ReadString(); break;
                case 4: input.ReadMessage(schedule); break;
                case 5: input.ReadMessage(info); break;
                case 6: token = input.ReadInt64(); break;
                case 7: input.ReadMessage(lastProcessed); break;
                case 8: starts.Add(BufferedStart.FromRecord(ReadRecord(input))); break;
                case 9: backfills.Add(Read<BackfillRequest>(input)); break;
                case 10: memo = Read<Memo>(input); break;
                case 11: attributes = Read<SearchAttributes>(input); break;
                case 12: lastResult = Read<Payloads>(input); break;
                case 13: failure = Read<Failure>(input); break;
                case 14: needRefresh = input.ReadBool(); break;
                default: input.SkipLastField(); break;
            }
        }
        var state = new ScheduleState(ns, namespaceId, scheduleId, schedule)
        {
            Info = info,
            ConflictToken = token,
            LastProcessedTime = lastProcessed.ToDateTimeOffset(),
            Memo = memo,
            SearchAttributes = attributes,
            LastCompletionResult = lastResult,
            ContinuedFailure = failure,
            NeedRefresh = needRefresh,
        };
        state.BufferedStarts.AddRange(starts);
        state.OngoingBackfills.AddRange(backfills);
        return state;
    }

    private static T Read<T>(CodedInputStream input)
        where T : IMessage<T>, new()
    {
        var message = new T();
        input.ReadMessage(message);
        return message;
    }

    private static BufferedStartRecord ReadRecord(CodedInputStream input)
    {
        var record = new BufferedStartRecord();
        record.MergeFrom(input.ReadBytes().ToByteArray());
        return record;
    }

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        if (value.Length == 0)
        {
            return;
        }
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    private static void WriteMessage(CodedOutputStream output, int field, IMessage? message)
    {
        if (message is null)
        {
            return;
        }
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(message);
    }

    private static void WriteMessage(CodedOutputStream output, int field, BufferedStartRecord record)
    {
        var bytes = record.ToBytes();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(bytes));
    }
}

/// <summary>An action time waiting for the overlap policy: nominal and jittered time, the policy to apply, and whether a person asked for it.</summary>
public sealed record BufferedStart(DateTimeOffset NominalTime, DateTimeOffset ActualTime, ScheduleOverlapPolicy OverlapPolicy, bool Manual)
{
    internal BufferedStartRecord ToRecord() => new()
    {
        NominalTime = Timestamp.FromDateTimeOffset(NominalTime),
        ActualTime = Timestamp.FromDateTimeOffset(ActualTime),
        OverlapPolicy = OverlapPolicy,
        Manual = Manual,
    };

    internal static BufferedStart FromRecord(BufferedStartRecord record) =>
        new(record.NominalTime.ToDateTimeOffset(), record.ActualTime.ToDateTimeOffset(), record.OverlapPolicy, record.Manual);
}

/// <summary>The wire form of a <see cref="BufferedStart"/> (BufferedStartRecord in the layout of <see cref="ScheduleState"/>).</summary>
internal sealed class BufferedStartRecord
{
    public Timestamp NominalTime { get; set; } = new();

    public Timestamp ActualTime { get; set; } = new();

    public ScheduleOverlapPolicy OverlapPolicy { get; set; }

    public bool Manual { get; set; }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using var output = new CodedOutputStream(buffer, leaveOpen: true);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(NominalTime);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(ActualTime);
        if (OverlapPolicy != ScheduleOverlapPolicy.Unspecified)
        {
            output.WriteTag(3, WireFormat.WireType.Varint);
            output.WriteEnum((int)OverlapPolicy);
        }
        if (Manual)
        {
            output.WriteTag(4, WireFormat.WireType.Varint);
            output.WriteBool(true);
        }
        output.Flush();
        return buffer.ToArray();
    }

    public void MergeFrom(byte[] bytes)
    {
        using var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: input.ReadMessage(NominalTime); break;
                case 2: input.ReadMessage(ActualTime); break;
                case 3: OverlapPolicy = (ScheduleOverlapPolicy)input.ReadEnum(); break;
                case 4: Manual = input.ReadBool(); break;
                default: input.SkipLastField(); break;
            }
        }
    }
}
