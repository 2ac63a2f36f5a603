using System.Runtime.Versioning;
using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Workspaces;
using Lifecycle.Tests.Claims;
using Lifecycle.Tests.Instances;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Temporalio.Client;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// A workspace test's world: a <see cref="ClaimKit"/> (real worker, real activities, scripted provider, real
/// PostgreSQL) plus the means to claim a prebuild, set the template's policy, move virtual time and read what the
/// workflow wrote. Every workflow a test starts is terminated at the end, so no task is left for a worker that is gone
/// (that would hold the time-skipping server's clock for every later test).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class WorkspaceKit : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);
    private readonly List<Guid> started = [];

    private WorkspaceKit(TemporalFixture temporal, ClaimKit claims)
    {
        Temporal = temporal;
        Claims = claims;
    }

    public TemporalFixture Temporal { get; }

    public ClaimKit Claims { get; }

    public NpgsqlDataSource DataSource => Claims.DataSource;

    public InstanceSeed Seed => Claims.Seed;

    /// <summary>The real workspace activities over <paramref name="dataSource"/> and one provider.</summary>
    public static WorkspaceActivities Activities(NpgsqlDataSource dataSource, ProviderDefinition provider) =>
        new(new WorkspaceStore(dataSource), new InstanceStore(dataSource), new ProviderCatalog([provider], InstanceActivityKit.Options().ControllerId));

    public static async Task<WorkspaceKit> CreateAsync(TemporalFixture temporal, NpgsqlDataSource dataSource) =>
        new(temporal, await ClaimKit.CreateAsync(temporal.Client, dataSource, temporal.NewTaskQueue()));

    public WorkflowHandle<InstanceWorkflow> Handle(Guid id) => Claims.Handle(id);

    /// <summary>Terminates the workflow of <paramref name="id"/> when the test ends.</summary>
    public void Track(Guid id) => started.Add(id);

    /// <summary>Sets template policy columns (e.g. <c>time_til_dormant = '1 hour'</c>).</summary>
    public async Task TemplateAsync(string assignments)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync($"UPDATE templates SET {assignments} WHERE id = @Id", new { Id = Seed.TemplateId });
    }

    /// <summary>A ready prebuild claimed by a new active user; returns once the workspace phase has settled.</summary>
    public async Task<(Guid Id, Guid Owner)> ClaimedAsync(string? schedule = null, TimeSpan? ttl = null)
    {
        var prebuild = await Claims.PrebuildAsync();
        started.Add(prebuild.Id);
        var owner = await Claims.UserAsync();
        var claim = new ClaimRequest(owner, $"ws-{prebuild.Id:N}"[..12], prebuild.PresetId, schedule, ttl);
        await Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(claim));
        await UntilAsync(prebuild.Id, v => v.BuildNumber == 2 && v.LatestStatus == Workflows.Workspaces.BuildStatus.Succeeded, "the claim's start build");
        return (prebuild.Id, owner);
    }

    /// <summary><paramref name="at"/> as PostgreSQL keeps it (whole microseconds; the workflow clock has 100 ns ticks).</summary>
    public static DateTimeOffset Stored(DateTimeOffset at) => new(at.Ticks - (at.Ticks % 10), at.Offset);

    /// <summary>Virtual now of the time-skipping server.</summary>
    public Task<DateTime> NowAsync() => Temporal.Env.GetCurrentTimeAsync();

    /// <summary>Moves virtual time to <paramref name="at"/> (no-op if already past).</summary>
    public async Task AdvanceToAsync(DateTimeOffset at)
    {
        var now = await NowAsync();
        var delay = at.UtcDateTime - now;
        if (delay > TimeSpan.Zero)
            await Temporal.Env.DelayAsync(delay);
    }

    public async Task<WorkspaceView> ViewAsync(Guid id) =>
        await Handle(id).QueryAsync(wf => wf.Workspace()) ?? throw new InvalidOperationException($"instance {id} is not a workspace");

    /// <summary>Waits (wall clock, for the worker to finish its work, never for virtual time) until the view satisfies <paramref name="done"/>.</summary>
    public async Task<WorkspaceView> UntilAsync(Guid id, Func<WorkspaceView, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        WorkspaceView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Handle(id).QueryAsync(wf => wf.Workspace());
            if (last is not null && done(last) && last.Phase == InstancePhase.Workspace)
                return last;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        throw new TimeoutException($"instance {id}: no {what} within {Limit}; last view {last}");
    }

    /// <summary>Waits until the workflow rests on a timer or a signal: nothing in flight, the view settled at <paramref name="done"/>.</summary>
    public Task<WorkspaceView> SettledAsync(Guid id, Func<WorkspaceView, bool> done, string what) =>
        UntilAsync(id, v => done(v) && v.LatestStatus is Workflows.Workspaces.BuildStatus.Succeeded or Workflows.Workspaces.BuildStatus.Failed, what);

    /// <summary>Every run of the workflow, first to last (walking back from the latest through continue-as-new).</summary>
    public async Task<IReadOnlyList<Temporalio.Common.WorkflowHistory>> RunsAsync(Guid id)
    {
        var runs = new List<Temporalio.Common.WorkflowHistory>();
        string? runId = null;
        do
        {
            var history = await Temporal.Client.GetWorkflowHandle($"instance:{id}", runId).FetchHistoryAsync();
            runs.Insert(0, history);
            runId = history.Events.First().WorkflowExecutionStartedEventAttributes.ContinuedExecutionRunId;
        }
        while (!string.IsNullOrEmpty(runId));
        return runs;
    }

    public async Task<IReadOnlyList<BuildRow>> BuildsAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<BuildRow>(
            """
            SELECT b.build_number, b.transition, b.reason, b.initiator_id, b.deadline, b.created_at, b.template_version_id,
                   j.job_status, j.error, j.completed_at
            FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE b.workspace_id = @id ORDER BY b.build_number
            """,
            new { id })];
    }

    public async Task<IReadOnlyList<NoticeRow>> NoticesAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<NoticeRow>(
            "SELECT template AS kind, recipient_id, labels::text AS labels FROM notifications WHERE @id = ANY(targets) ORDER BY created_at, id",
            new { id })];
    }

    public async Task<string> InstanceStatusAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT instance_status FROM workspaces WHERE id = @id", new { id }) ?? "";
    }

    public async Task<long> AuditCountAsync(Guid id, string action, string key = "%")
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE resource_id = @id AND action = @action AND coalesce(idempotency_key, '') LIKE @key", new { id, action, key });
    }

    public async Task ExecuteAsync(string sql, object? args = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, args);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in started)
        {
            try
            {
                await Handle(id).TerminateAsync("test over");
            }
            catch (Temporalio.Exceptions.RpcException)
            {
                // Already finished.
            }
        }
        Claims.Dispose();
    }
}

/// <summary>A build with its job, as stored.</summary>
internal sealed record BuildRow
{
    public int BuildNumber { get; init; }

    public string Transition { get; init; } = "";

    public string Reason { get; init; } = "";

    public Guid InitiatorId { get; init; }

    public DateTimeOffset? Deadline { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public Guid TemplateVersionId { get; init; }

    public string JobStatus { get; init; } = "";

    public string? Error { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public override string ToString() => $"#{BuildNumber} {Transition}/{Reason} {JobStatus}";
}

/// <summary>An outbox row about a workspace.</summary>
internal sealed record NoticeRow
{
    public string Kind { get; init; } = "";

    public Guid RecipientId { get; init; }

    public string Labels { get; init; } = "{}";
}
