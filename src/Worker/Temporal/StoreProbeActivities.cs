using Npgsql;
using Temporalio.Activities;

namespace Lifecycle.Worker.Temporal;

/// <summary>
/// Answers "can this worker reach the store?" through Temporal: an operator (or a test) runs it on the task queue to
/// check a worker end to end. It also keeps the worker's registration non-empty, which the SDK requires.
/// </summary>
public sealed class StoreProbeActivities(NpgsqlDataSource dataSource)
{
    /// <summary>Returns the database server's current time.</summary>
    [Activity("lifecycle.store.probe")]
    public async Task<DateTimeOffset> ProbeStoreAsync()
    {
        await using var command = dataSource.CreateCommand("SELECT now()");
        var now = (DateTime)(await command.ExecuteScalarAsync(ActivityExecutionContext.Current.CancellationToken))!;
        return new DateTimeOffset(now, TimeSpan.Zero);
    }
}
