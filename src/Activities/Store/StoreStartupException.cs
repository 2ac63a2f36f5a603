namespace Lifecycle.Activities.Store;

/// <summary>
/// The store could not be made ready (no PostgreSQL binaries, a cluster that will not start, a failed migration).
/// The message is one line a person can act on; the host prints it and exits.
/// </summary>
public sealed class StoreStartupException : Exception
{
    public StoreStartupException(string message)
        : base(message)
    {
    }

    public StoreStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
