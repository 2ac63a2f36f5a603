namespace TemporalDev.Query.Evaluation;

/// <summary>
/// One workflow execution as visibility sees it. <see cref="GetValue"/> returns the typed value of a
/// search attribute by its canonical name, or null when unset: string (Keyword, Text, and ExecutionStatus
/// as its short name such as "Running"), long (Int), double (Double), bool (Bool), DateTimeOffset
/// (Datetime), IReadOnlyList&lt;string&gt; (KeywordList).
/// </summary>
public interface IVisibilityRecord
{
    object? GetValue(string searchAttribute);
}
