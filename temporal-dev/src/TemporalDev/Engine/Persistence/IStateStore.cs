namespace TemporalDev.Engine.Persistence;

/// <summary>
/// The persistence seam for engine state that is not a workflow run (schedules, the search-attribute registry,
/// update registries): opaque blobs by kind and key, written in the same transaction as the runs at the next commit
/// (before the RPC that changed them answers, or right after the clock callbacks that did). All members are called under the engine gate.
/// </summary>
public interface IStateStore
{
    /// <summary>Saves (inserts or replaces) the blob of one piece of state, e.g. kind "schedule", key "default/my-schedule".</summary>
    void Put(string kind, string key, byte[] data);

    /// <summary>Deletes one piece of state; deleting a missing key is a no-op.</summary>
    void Delete(string kind, string key);

    /// <summary>Reads every blob of a kind, as committed, ordered by key (for start-up).</summary>
    IReadOnlyList<KeyValuePair<string, byte[]>> Load(string kind);
}
