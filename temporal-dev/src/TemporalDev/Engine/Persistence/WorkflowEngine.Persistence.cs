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

    /// <summary>Attaches the store and rebuilds every run it holds; call once, before serving.</summary>
    public void Restore(SqliteStore store)
    {
        lock (gate)
        {
            if (journal is not null) throw new InvalidOperationException("the engine already has a store");
            journal = new RunJournal(store);
            RestoreRuns(store.Path, store.Load());
            journal.Commit();
            Clock.AfterFiring = Commit;
        }
    }

    /// <summary>Writes every change since the last commit in one transaction (a no-op without a store).</summary>
    public void Commit()
    {
        if (journal is null) return;
        lock (gate) journal.Commit();
    }
}
