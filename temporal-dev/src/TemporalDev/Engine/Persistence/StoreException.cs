namespace TemporalDev.Engine.Persistence;

/// <summary>The database file cannot be used: not SQLite, not ours, too new, corrupt or in use. The server must not start.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner)
{
}
