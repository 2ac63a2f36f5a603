using TemporalDev.Engine.Persistence;

namespace TemporalDev.Engine;

/// <summary>
/// <c>--db-filename</c>: every change is committed to the store before the RPC that made it answers (and right after
/// the clock callbacks that made it), and a restarted server rebuilds every run from the store.
/// </summary>
public sealed partial class WorkflowEngine
{
    private RunJournal? journal;

    /// <summary>Gets the seam for persisting state that is not a workflow run; null when the server keeps memory only.</summary>
    public IStateStore? StateStore => journal;

    /// <summary>Gets a value indicating whether the engine writes to a store.</summary>
    public bool Persistent => journal is not null;

    /// <summary>Attaches the store and rebuilds the runs read from it (<see cref="SqliteStore.Load"/>); call once, before serving. Returns what it restored.</summary>
    public string Restore(SqliteStore store, IReadOnlyList<StoredRun> stored)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        lock (gate)
        {
            if (journal is not null) throw new InvalidOperationException("the engine already has a store");
            journal = new RunJournal(store);
            RestoreRuns(store.Path, stored);

            // Engine state that is not a run, from the state blobs: the registry first (indexing needs it), then schedules (they re-link to runs).
            RestoreVisibility(journal);
            RestoreSchedules(journal);
            journal.Commit();
            Clock.AfterFiring = Commit;
        }

        var open = stored.Count(r => r.Status == Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running);
        return $"{store.Path}: restored {stored.Count} runs ({open} open); rebuilt in {clock.Elapsed.TotalMilliseconds:F0} ms";
    }

    /// <summary>Writes every change since the last commit in one transaction (a no-op without a store).</summary>
    public void Commit()
    {
        if (journal is null) return;
        lock (gate) journal.Commit();
    }
}
