using Temporalio.Api.Enums.V1;
using TemporalDev.Cli;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>
/// The in-memory Temporal server: workflow runs, task queues and the virtual clock, all guarded by one gate.
/// Each feature lives in its own partial file.
/// </summary>
public sealed partial class WorkflowEngine : IDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<(string Ns, string WorkflowId), List<Execution>> chains = [];
    private readonly Dictionary<string, Execution> runs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Queue), TaskQueue<WorkflowTaskRef>> workflowQueues = [];
    private readonly Dictionary<(string Ns, string Queue), TaskQueue<ActivityTaskRef>> activityQueues = [];
    private readonly Dictionary<string, TaskQueue<WorkflowTaskRef>> stickyQueues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<TaskCompletionSource<WorkflowTaskRef?>>> stickyPolls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueryTask> queries = new(StringComparer.Ordinal);
    private readonly HashSet<string> namespaces;
    private readonly long suggestContinueAsNewEvents;
    private readonly long suggestContinueAsNewBytes;

    public WorkflowEngine(ServerOptions options)
    {
        Options = options;
        namespaces = new HashSet<string>(options.Namespaces, StringComparer.Ordinal);
        Clock = new VirtualClock(gate, options.TimeSkipping);
        RegisterLaunchSearchAttributes(options);
        suggestContinueAsNewEvents = options.DynamicConfigInt("limit.historyCount.suggestContinueAsNew", 4 * 1024);
        suggestContinueAsNewBytes = options.DynamicConfigInt("limit.historySize.suggestContinueAsNew", 4 * 1024 * 1024);
        Clock.Start();
    }

    public ServerOptions Options { get; }

    public VirtualClock Clock { get; }

    /// <summary>Gets the long-poll limit: the real server answers an empty poll after about a minute.</summary>
    public static TimeSpan LongPoll { get; } = TimeSpan.FromSeconds(60);

    public IReadOnlyCollection<string> Namespaces => namespaces;

    public void Dispose() => Clock.Dispose();

    private DateTime Now => Clock.Now;

    private void RequireNamespace(string ns)
    {
        if (!namespaces.Contains(ns)) throw RpcErrors.NamespaceNotFound(ns);
    }

    private Execution? Current(string ns, string workflowId) =>
        chains.TryGetValue((ns, workflowId), out var chain) ? chain[^1] : null;

    /// <summary>Finds a run by id, or the newest run of the workflow when the run id is empty.</summary>
    private Execution Find(string ns, string workflowId, string? runId)
    {
        RequireNamespace(ns);
        if (string.IsNullOrEmpty(workflowId)) throw RpcErrors.InvalidArgument("workflow_execution.workflow_id: required");
        if (!string.IsNullOrEmpty(runId))
        {
            return runs.TryGetValue(runId, out var run) && run.WorkflowId == workflowId && run.Namespace == ns
                ? run
                : throw RpcErrors.WorkflowNotFound(workflowId, runId);
        }

        return Current(ns, workflowId) ?? throw RpcErrors.WorkflowNotFound(workflowId, runId);
    }

    /// <summary>Finds the run a signal, cancel or terminate is for: the newest one of the chain started by firstRunId.</summary>
    private Execution FindForControl(string ns, string workflowId, string? runId, string? firstRunId)
    {
        var run = Find(ns, workflowId, runId);
        if (!string.IsNullOrEmpty(firstRunId) && run.Start.FirstExecutionRunId != firstRunId)
        {
            throw RpcErrors.WorkflowNotFound(workflowId, firstRunId);
        }

        return run;
    }

    private TaskQueue<WorkflowTaskRef> WorkflowQueue(string ns, string name)
    {
        if (!workflowQueues.TryGetValue((ns, name), out var queue)) workflowQueues[(ns, name)] = queue = new();
        return queue;
    }

    private TaskQueue<ActivityTaskRef> ActivityQueue(string ns, string name)
    {
        if (!activityQueues.TryGetValue((ns, name), out var queue)) activityQueues[(ns, name)] = queue = new();
        return queue;
    }

    private static string NewId() => Guid.NewGuid().ToString();

    private static bool IsTerminal(WorkflowExecutionStatus status) => status != WorkflowExecutionStatus.Running;
}

/// <summary>A workflow-task queue entry: one scheduling of a run's workflow task (its sequence), or a legacy query task.</summary>
public sealed record WorkflowTaskRef(Execution Execution, long Sequence, QueryTask? Query = null);

/// <summary>An activity-task queue entry: one attempt of one activity.</summary>
public sealed record ActivityTaskRef(Execution Execution, long ScheduledEventId, int Attempt);
