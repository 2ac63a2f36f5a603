using System.Diagnostics;

namespace Instances.Bench;

/// <summary>
/// Counts the commands this process sends to PostgreSQL, from Npgsql's own tracing (its <c>Npgsql</c> activity
/// source emits one activity per command once something listens): the worker's side of the idle count.
/// </summary>
internal sealed class NpgsqlCommands : IDisposable
{
    private readonly ActivityListener listener;
    private long count;

    public NpgsqlCommands()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            // Created but not filled in (no tags): counting costs the worker next to nothing.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = _ => Interlocked.Increment(ref count),
        };
        ActivitySource.AddActivityListener(listener);
    }

    /// <summary>Commands (and any other Npgsql operation it traces) finished so far.</summary>
    public long Count => Interlocked.Read(ref count);

    public void Dispose() => listener.Dispose();
}
