namespace TemporalDev.Engine;

/// <summary>
/// The server's one clock and its timer queue. With time skipping on and no lock held it jumps to the next
/// timer (the Java test server's rule); otherwise it runs at wall speed. All members are called under the engine gate.
/// </summary>
public sealed class VirtualClock : IDisposable
{
    private readonly object gate;
    private readonly PriorityQueue<ClockTimer, (DateTime Due, long Seq)> timers = new();
    private readonly HashSet<string> lockKeys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim wake = new(0);
    private readonly CancellationTokenSource stopping = new();
    private long offsetTicks;
    private long sequence;
    private int clientLocks;

    public VirtualClock(object gate, bool skipping)
    {
        this.gate = gate;
        Skipping = skipping;
        clientLocks = skipping ? 1 : 0;
    }

    /// <summary>Gets a value indicating whether time may jump (test-server form).</summary>
    public bool Skipping { get; }

    /// <summary>Gets the current virtual time.</summary>
    public DateTime Now => DateTime.UtcNow.AddTicks(Interlocked.Read(ref offsetTicks));

    /// <summary>Gets the number of locks holding time at wall speed.</summary>
    public int LockCount => clientLocks + lockKeys.Count;

    /// <summary>Gets or sets what runs under the gate after each round of timer callbacks (the store's commit).</summary>
    public Action? AfterFiring { get; set; }

    /// <summary>Starts the loop that fires timers.</summary>
    public void Start() => _ = Task.Run(RunAsync);

    /// <summary>Schedules a callback at a virtual time; the callback runs under the gate.</summary>
    public ClockTimer Schedule(DateTime due, Action callback)
    {
        var timer = new ClockTimer(due, callback);
        timers.Enqueue(timer, (due, sequence++));
        Wake();
        return timer;
    }

    /// <summary>Schedules a callback after a virtual delay.</summary>
    public ClockTimer After(TimeSpan delay, Action callback) => Schedule(Now + (delay < TimeSpan.Zero ? TimeSpan.Zero : delay), callback);

    /// <summary>Holds time at wall speed for the named piece of outstanding work (idempotent).</summary>
    public void Hold(string key) => lockKeys.Add(key);

    /// <summary>Releases a hold taken with <see cref="Hold"/> (idempotent).</summary>
    public void Release(string key)
    {
        if (lockKeys.Remove(key)) Wake();
    }

    /// <summary>The client's lock (TestService LockTimeSkipping).</summary>
    public void ClientLock() => clientLocks++;

    /// <summary>The client's unlock (TestService UnlockTimeSkipping).</summary>
    public void ClientUnlock()
    {
        if (clientLocks == 0) throw new InvalidOperationException("time skipping is not locked");
        clientLocks--;
        Wake();
    }

    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
        wake.Dispose();
    }

    private void Wake()
    {
        if (wake.CurrentCount == 0) wake.Release();
    }

    private async Task RunAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan wait;
            lock (gate)
            {
                wait = FireDue();
                RunAfterFiring();
            }

            try
            {
                await wake.WaitAsync(wait, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void RunAfterFiring()
    {
        try
        {
            AfterFiring?.Invoke();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"temporal-dev: commit after timers failed (retried at the next commit): {e.Message}");
        }
    }

    private TimeSpan FireDue()
    {
        while (true)
        {
            while (timers.TryPeek(out var head, out _) && head.Canceled) timers.Dequeue();
            if (!timers.TryPeek(out var next, out var priority)) return Timeout.InfiniteTimeSpan;
            var now = Now;
            if (priority.Due > now)
            {
                if (!Skipping || LockCount > 0)
                {
                    var delay = priority.Due - now;
                    return delay > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : delay;
                }

                Interlocked.Add(ref offsetTicks, (priority.Due - now).Ticks);
            }

            timers.Dequeue();
            if (next.Canceled) continue;
            next.Canceled = true;
            try
            {
                next.Callback();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"temporal-dev: timer callback failed: {e}");
            }
        }
    }
}

/// <summary>A pending callback on the virtual clock.</summary>
public sealed class ClockTimer(DateTime due, Action callback)
{
    public DateTime Due { get; } = due;

    internal Action Callback { get; } = callback;

    internal bool Canceled { get; set; }

    /// <summary>Cancels the callback if it has not run.</summary>
    public void Cancel() => Canceled = true;
}
