using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine.Persistence;

/// <summary>What the store holds of one run: its row key, how much of the history is written, and the captured buffered events.</summary>
public sealed class PersistedRun(RunJournal journal)
{
    /// <summary>Gets or sets the run's row key (creation order); 0 until first written.</summary>
    public long Key { get; set; }

    /// <summary>Gets or sets how many history events the store holds (history is append-only).</summary>
    public int StoredEvents { get; set; }

    public int StoredActivities { get; set; }

    public int StoredRequestIds { get; set; }

    public int StoredBuffered { get; set; }

    /// <summary>Gets or sets a value indicating whether the run changed since the last commit.</summary>
    public bool Dirty { get; set; }

    /// <summary>
    /// Gets the events buffered while a workflow task is started, as they would be written now. Their ids are
    /// provisional (negative: -1 is the first) until the buffer is flushed into the history.
    /// </summary>
    public List<HistoryEvent> Captured { get; } = [];

    public void MarkChanged(Execution run)
    {
        if (Dirty) return;
        Dirty = true;
        journal.Enqueue(run);
    }

    /// <summary>Builds the event a buffered write would append, without touching the history.</summary>
    public HistoryEvent Capture(EventType type, DateTime time, Action<HistoryEvent> attributes)
    {
        var e = new HistoryEvent { EventId = -(Captured.Count + 1), EventType = type, EventTime = Timestamp.FromDateTime(time) };
        attributes(e);
        Captured.Add(e);
        return e;
    }

    public void ClearCaptured(Execution run)
    {
        if (Captured.Count == 0) return;
        Captured.Clear();
        MarkChanged(run);
    }
}
