namespace TemporalDev.Engine.Persistence;

/// <summary>
/// Collects what changed since the last commit (runs marked dirty, state blobs) and writes it in one transaction.
/// All members are called under the engine gate.
/// </summary>
public sealed class RunJournal(SqliteStore store) : IStateStore
{
    private readonly List<Execution> dirty = [];
    private readonly Dictionary<(string Kind, string Key), byte[]?> blobs = [];

    public SqliteStore Store { get; } = store;

    /// <summary>Starts persisting a new run.</summary>
    public void Track(Execution run)
    {
        run.Persisted ??= new PersistedRun(this);
        run.Persisted.MarkChanged(run);
    }

    public void Enqueue(Execution run) => dirty.Add(run);

    /// <summary>Writes every change since the last commit; a failed write keeps the changes for the next commit.</summary>
    public void Commit()
    {
        if (dirty.Count == 0 && blobs.Count == 0) return;
        Store.Write(dirty, blobs);
        foreach (var run in dirty) run.Persisted!.Dirty = false;
        dirty.Clear();
        blobs.Clear();
    }

    public void Put(string kind, string key, byte[] data) => blobs[(kind, key)] = data;

    public void Delete(string kind, string key) => blobs[(kind, key)] = null;

    public IReadOnlyList<KeyValuePair<string, byte[]>> Load(string kind) => Store.LoadBlobs(kind);
}
