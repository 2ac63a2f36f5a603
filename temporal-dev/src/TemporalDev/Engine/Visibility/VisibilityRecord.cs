using TemporalDev.Query.Evaluation;

namespace TemporalDev.Engine.Visibility;

/// <summary>
/// One run as visibility queries see it: the built-in attributes read live from the run, the custom and predefined
/// ones as typed values decoded once, when they were set.
/// </summary>
public sealed class VisibilityRecord(Execution run) : IVisibilityRecord
{
    /// <summary>The built-in keyword attributes kept in the keyword index beside the custom ones.</summary>
    public static readonly IReadOnlySet<string> IndexedBuiltIns = new HashSet<string>(StringComparer.Ordinal) { "WorkflowId", "WorkflowType", "TaskQueue", "ExecutionStatus" };

    public Execution Run { get; } = run;

    /// <summary>Gets the typed values of the custom and predefined attributes the run carries.</summary>
    public Dictionary<string, object> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the (attribute, value) keys the record is filed under in the keyword index.</summary>
    internal List<(string Attribute, string Value)> IndexedUnder { get; } = [];

    public object? GetValue(string searchAttribute) => searchAttribute switch
    {
        "WorkflowId" => Run.WorkflowId,
        "RunId" => Run.RunId,
        "WorkflowType" => Run.Start.WorkflowType.Name,
        "TaskQueue" => Run.TaskQueue,
        "ExecutionStatus" => QueryValue.StatusName(Run.Status),
        "StartTime" => Utc(Run.StartTime),
        "ExecutionTime" => Utc(Run.ExecutionTime),
        "CloseTime" => Run.CloseTime is { } closed ? Utc(closed) : null,
        "HistoryLength" => (long)Run.Events.Count,
        "StateTransitionCount" => (long)Run.Events.Count,
        "HistorySizeBytes" => Run.HistorySizeBytes,
        "ExecutionDuration" => Run.CloseTime is { } end ? (end - Run.ExecutionTime).Ticks * 100 : null,
        "ParentWorkflowId" => Run.Start.ParentWorkflowExecution?.WorkflowId,
        "ParentRunId" => Run.Start.ParentWorkflowExecution?.RunId,
        "RootWorkflowId" => Run.Start.RootWorkflowExecution?.WorkflowId ?? Run.WorkflowId,
        "RootRunId" => Run.Start.RootWorkflowExecution?.RunId ?? Run.RunId,
        _ => Values.GetValueOrDefault(searchAttribute),
    };

    /// <summary>The keys to file the record under: the indexed built-ins, every Keyword value and every KeywordList item.</summary>
    internal IEnumerable<(string Attribute, string Value)> IndexKeys()
    {
        yield return ("WorkflowId", Run.WorkflowId);
        yield return ("WorkflowType", Run.Start.WorkflowType.Name);
        yield return ("TaskQueue", Run.TaskQueue);
        yield return ("ExecutionStatus", QueryValue.StatusName(Run.Status));
        foreach (var (name, value) in Values)
        {
            switch (value)
            {
                case string keyword:
                    yield return (name, keyword);
                    break;
                case IEnumerable<string> list:
                    foreach (var item in list.Distinct(StringComparer.Ordinal)) yield return (name, item);
                    break;
                default:
                    break;
            }
        }
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
