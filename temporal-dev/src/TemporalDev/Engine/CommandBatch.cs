namespace TemporalDev.Engine;

/// <summary>The commands of one workflow-task completion: the id they reference and the work that follows them.</summary>
public sealed class CommandBatch(long completedEventId, string identity)
{
    public long CompletedEventId { get; } = completedEventId;

    public string Identity { get; } = identity;

    /// <summary>Gets or sets a value indicating whether a command wrote an event the workflow must see in a new task.</summary>
    public bool NeedsWorkflowTask { get; set; }

    /// <summary>Gets work that runs after the completion's events are written (child starts, external signals).</summary>
    public List<Action> AfterCompletion { get; } = [];
}
