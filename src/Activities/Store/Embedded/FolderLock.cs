namespace Lifecycle.Activities.Store.Embedded;

/// <summary>
/// An exclusive lock between processes on a folder (an open lock file no one else may open), so two hosts started
/// at once from the same checkout do not both run initdb or pg_ctl start.
/// </summary>
public sealed class FolderLock : IAsyncDisposable
{
    private readonly FileStream stream;

    private FolderLock(FileStream stream) => this.stream = stream;

    /// <summary>Waits (up to two minutes) for the lock file to be free.</summary>
    public static async Task<FolderLock> AcquireAsync(string lockFile, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                return new FolderLock(new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (IOException e)
            {
                throw new StoreStartupException($"embedded PostgreSQL: another process holds {lockFile} (using {what}) for over two minutes", e);
            }
        }
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();
}
