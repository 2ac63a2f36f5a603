namespace TemporalDev.Engine;

/// <summary>
/// One task queue's backlog and waiting long-polls. Tasks are light references the poller validates when it picks
/// them up under the gate, so a stale reference (a closed workflow, an old attempt) is simply skipped.
/// All members are called under the engine gate.
/// </summary>
/// <typeparam name="T">The task reference type.</typeparam>
public sealed class TaskQueue<T>
    where T : class
{
    private readonly LinkedList<T> backlog = new();
    private readonly LinkedList<TaskCompletionSource<T?>> pollers = new();

    public int BacklogCount => backlog.Count;

    /// <summary>Hands a task to the oldest waiting poll, or keeps it in the backlog.</summary>
    public void Offer(T task)
    {
        while (pollers.First is { } first)
        {
            pollers.RemoveFirst();
            if (first.Value.TrySetResult(task)) return;
        }

        backlog.AddLast(task);
    }

    /// <summary>Takes the oldest backlog task, if any.</summary>
    public T? TryTake()
    {
        if (backlog.First is not { } first) return null;
        backlog.RemoveFirst();
        return first.Value;
    }

    /// <summary>Registers a waiting poll.</summary>
    public TaskCompletionSource<T?> AddPoller()
    {
        var poller = new TaskCompletionSource<T?>(TaskCreationOptions.RunContinuationsAsynchronously);
        pollers.AddLast(poller);
        return poller;
    }

    /// <summary>Withdraws a poll that gave up; a task it was handed meanwhile goes back to the front of the backlog.</summary>
    public void Withdraw(TaskCompletionSource<T?> poller)
    {
        pollers.Remove(poller);
#pragma warning disable VSTHRD002 // The task is already completed here: TrySetResult failed because a task was handed over.
        if (!poller.TrySetResult(null) && poller.Task.Result is { } handed) backlog.AddFirst(handed);
#pragma warning restore VSTHRD002
    }

    /// <summary>Ends every waiting poll with no task (worker shutdown).</summary>
    public void ReleasePollers()
    {
        while (pollers.First is { } first)
        {
            pollers.RemoveFirst();
            first.Value.TrySetResult(null);
        }
    }
}
