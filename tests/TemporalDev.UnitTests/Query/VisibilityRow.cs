using TemporalDev.Query.Evaluation;

namespace TemporalDev.UnitTests.Query;

/// <summary>A workflow execution in visibility, for query tests.</summary>
internal sealed class VisibilityRow(Dictionary<string, object?> values) : IVisibilityRecord
{
    public string WorkflowId => (string)values["WorkflowId"]!;

    public object? GetValue(string searchAttribute) => values.GetValueOrDefault(searchAttribute);

    public static DateTimeOffset At(int hour, int minute = 0) => new(2026, 11, 23, hour, minute, 0, TimeSpan.Zero);

    public static IReadOnlyList<VisibilityRow> Sample { get; } =
    [
        new(new()
        {
            ["WorkflowId"] = "wf-1", ["WorkflowType"] = "Reconcile", ["ExecutionStatus"] = "Running", ["StartTime"] = At(8),
            ["TaskQueue"] = "lifecycle", ["HistoryLength"] = 10L, ["CustomKeywordField"] = "pool-a", ["CustomIntField"] = 5L,
            ["CustomDoubleField"] = 1.5, ["CustomBoolField"] = true, ["CustomDatetimeField"] = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
            ["CustomTextField"] = "The quick brown fox", ["CustomKeywordListField"] = new[] { "a", "b" },
        }),
        new(new()
        {
            ["WorkflowId"] = "wf-2", ["WorkflowType"] = "Instance", ["ExecutionStatus"] = "Completed", ["StartTime"] = At(9),
            ["CloseTime"] = At(9, 30), ["ExecutionDuration"] = 5_400_000_000_000L, ["TaskQueue"] = "lifecycle", ["HistoryLength"] = 20L, ["CustomKeywordField"] = "pool-b",
            ["CustomIntField"] = 10L, ["CustomDoubleField"] = 2.5, ["CustomBoolField"] = false, ["CustomKeywordListField"] = new[] { "c" },
        }),
        new(new()
        {
            ["WorkflowId"] = "wf-3", ["WorkflowType"] = "Instance", ["ExecutionStatus"] = "Failed", ["StartTime"] = At(10),
            ["CloseTime"] = At(10, 5), ["ExecutionDuration"] = 300_000_000_000L, ["TaskQueue"] = "other", ["HistoryLength"] = 30L,
        }),
        new(new()
        {
            ["WorkflowId"] = "reconcile-all-2026-11-23T11:00:00Z", ["WorkflowType"] = "Reconcile", ["ExecutionStatus"] = "Running",
            ["StartTime"] = At(11), ["TaskQueue"] = "lifecycle", ["HistoryLength"] = 3L, ["TemporalScheduledById"] = "reconcile-all",
            ["TemporalScheduledStartTime"] = At(11),
        }),
    ];
}
