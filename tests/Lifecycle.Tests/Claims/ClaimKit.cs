using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Tests.Instances;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Temporalio.Client;
using Temporalio.Worker;

namespace Lifecycle.Tests.Claims;

/// <summary>
/// A real worker (Instance workflow, its real activities on the scripted provider, the real claim activity) over a test
/// database, and the means to bring prebuilds to where a claim test starts: running and waiting for its agent, or ready.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ClaimKit : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> running = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> ready = new();
    private readonly ConcurrentDictionary<Guid, bool> signalReady = new();
    private readonly ScriptedMachines machines;

    private ClaimKit(ITemporalClient client, InstanceSeed seed, ScriptedMachines machines, string taskQueue)
    {
        Client = client;
        Seed = seed;
        this.machines = machines;
        TaskQueue = taskQueue;
        var activities = new DrivenInstanceActivities(InstanceActivityKit.Activities(seed.DataSource, [machines.Definition]))
        {
            AfterTransition = async (t, r) =>
            {
                if (!r.Applied)
                    return;
                if (t.To == InstanceStatus.Running && !t.Ready)
                {
                    running.GetOrAdd(t.InstanceId, _ => NewSignal()).TrySetResult();
                    if (signalReady.TryGetValue(t.InstanceId, out var signal) && signal)
                        await Handle(t.InstanceId).SignalAsync(wf => wf.ReadyAsync());
                }
                else if (t.Ready)
                {
                    ready.GetOrAdd(t.InstanceId, _ => NewSignal()).TrySetResult();
                }
            },
        };
        Worker = new TemporalWorker(
            client,
            new TemporalWorkerOptions(taskQueue)
                .AddAllActivities(activities)
                .AddAllActivities(new ClaimActivities(seed.DataSource))
                .AddAllActivities(Workspaces.WorkspaceKit.Activities(seed.DataSource, machines.Definition))
                .AddWorkflow<InstanceWorkflow>());
    }

    public ITemporalClient Client { get; }

    public InstanceSeed Seed { get; }

    public NpgsqlDataSource DataSource => Seed.DataSource;

    public string TaskQueue { get; }

    /// <summary>The scripted provider the instances live on (its control file, its calls).</summary>
    public ScriptedMachines Machines => machines;

    public TemporalWorker Worker { get; }

    /// <summary>A kit on a fresh organization/template/preset (provider "scripted").</summary>
    public static async Task<ClaimKit> CreateAsync(ITemporalClient client, NpgsqlDataSource dataSource, string taskQueue) =>
        new(client, await InstanceSeed.CreateAsync(dataSource), ScriptedMachines.Create(), taskQueue);

    public static WorkflowHandle<InstanceWorkflow> Handle(ITemporalClient client, Guid instanceId) =>
        client.GetWorkflowHandle<InstanceWorkflow>($"instance:{instanceId}");

    public WorkflowHandle<InstanceWorkflow> Handle(Guid instanceId) => Handle(Client, instanceId);

    /// <summary>Starts a prebuild's workflow and returns once it is ready (agent called back) or, when not, once it runs.</summary>
    public async Task<SeededInstance> PrebuildAsync(bool makeReady = true)
    {
        var instance = await Seed.InstanceAsync();
        signalReady[instance.Id] = makeReady;
        var waitFor = (makeReady ? ready : running).GetOrAdd(instance.Id, _ => NewSignal());
        var input = new InstanceWorkflowInput(
            instance.Id, instance.Name, instance.ProviderName, instance.PresetId, instance.TemplateId, InstanceWorkflowInput.DefaultBootstrapTimeout, new CreateRetryPolicy());
        await Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new($"instance:{instance.Id}", TaskQueue));
        await waitFor.Task.WaitAsync(Limit);
        if (!makeReady)
            await BootstrapTimerStartedAsync(instance.Id);
        return instance;
    }

    /// <summary>A user of the given status.</summary>
    public async Task<Guid> UserAsync(string status = "active")
    {
        var id = Guid.NewGuid();
        await using var connection = await DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO users (id, username, status) VALUES (@id, @username, @status)",
            new { id, username = $"u-{id:N}"[..20], status });
        return id;
    }

    /// <summary>The claim-relevant columns of a workspace row.</summary>
    public async Task<ClaimedRow> RowAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<ClaimedRow>(
            """
            SELECT owner_id, name, autostart_schedule, ttl, next_start_at, last_used_at, dormant_at, updated_at,
                   (SELECT count(*) FROM audit_log a WHERE a.resource_id = w.id AND a.action = 'claim') AS claim_audits,
                   (SELECT count(*) FROM prebuild_events e WHERE e.preset_id = w.preset_id AND e.kind = 'claim_succeeded') AS claim_events
            FROM workspaces w WHERE id = @id
            """,
            new { id });
    }

    /// <summary>The workflow's event count: a rejected update must leave it unchanged.</summary>
    public async Task<int> EventCountAsync(Guid instanceId)
    {
        var history = await Handle(instanceId).FetchHistoryAsync();
        return history.Events.Count;
    }

    /// <summary>
    /// Waits until the workflow has recorded its bootstrap timer (it then waits for the agent and writes nothing more):
    /// the store write that the hook sees comes before the workflow task that starts the timer.
    /// </summary>
    private async Task BootstrapTimerStartedAsync(Guid instanceId)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (DateTime.UtcNow < deadline)
        {
            var events = (await Handle(instanceId).FetchHistoryAsync()).Events.ToList();
            var lastScheduled = events.FindLastIndex(e => e.WorkflowTaskScheduledEventAttributes is not null);
            var lastCompleted = events.FindLastIndex(e => e.WorkflowTaskCompletedEventAttributes is not null);
            if (events.Exists(e => e.TimerStartedEventAttributes is not null) && lastCompleted > lastScheduled)
                return;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        throw new TimeoutException($"instance {instanceId}: no bootstrap timer within {Limit}");
    }

    public void Dispose()
    {
        Worker.Dispose();
        machines.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A workspace row's claim fields.</summary>
internal sealed class ClaimedRow
{
    public Guid OwnerId { get; init; }

    public string Name { get; init; } = "";

    public string? AutostartSchedule { get; init; }

    public TimeSpan? Ttl { get; init; }

    public DateTimeOffset? NextStartAt { get; init; }

    public DateTimeOffset LastUsedAt { get; init; }

    public DateTimeOffset? DormantAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public long ClaimAudits { get; init; }

    public long ClaimEvents { get; init; }
}
