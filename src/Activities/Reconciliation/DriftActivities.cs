using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Reconciliation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// The drift sweep's I/O (spec instances.md P4). The store is read before the provider is listed: a machine running
/// when the rows were read is still listed unless it was lost or deleted since, and a deletion shows in the row first.
/// Every repair re-checks the store at the moment it acts, so a machine whose row was inserted after the read (a create
/// racing the sweep) is never taken for an orphan, and a row that moved on is left alone.
/// </summary>
public sealed class DriftActivities(
    NpgsqlDataSource dataSource,
    ProviderCatalog providers,
    InstanceStore store,
    ITemporalClient client,
    ILogger<DriftActivities>? logger = null) : IDriftActivities
{
    private readonly ILogger logger = logger ?? NullLogger<DriftActivities>.Instance;

    /// <inheritdoc/>
    [Activity("DriftProviders")]
    public Task<IReadOnlyList<string>> ListProvidersAsync() => Task.FromResult(providers.Names);

    /// <inheritdoc/>
    [Activity("DriftRead")]
    public async Task<DriftSnapshot> ReadAsync(DriftReadRequest request)
    {
        var provider = providers.Get(request.Provider);
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken);
        var pools = (await connection.QueryAsync<PoolRow>(new CommandDefinition(
            """
            SELECT p.id, coalesce(v.provider_extra_specs, '{}'::jsonb)::text AS extra_specs
            FROM presets p
            JOIN template_versions v ON v.id = p.template_version_id
            JOIN templates t ON t.id = v.template_id
            WHERE t.provider_name = @Provider
            ORDER BY p.id
            """,
            new { request.Provider },
            cancellationToken: CancellationToken))).ToList();
        var rows = (await connection.QueryAsync<StoreRow>(new CommandDefinition(
            """
            SELECT w.id, w.instance_name, w.preset_id, w.instance_status, w.deleted,
                   w.updated_at < now() - make_interval(secs => @GraceSeconds) AS settled
            FROM workspaces w
            WHERE w.provider_name = @Provider AND w.preset_id = ANY(@Pools) AND NOT w.deleted
            """,
            new { request.Provider, Pools = pools.Select(p => p.Id).ToArray(), GraceSeconds = request.LostGrace.TotalSeconds },
            cancellationToken: CancellationToken))).Select(r => r.ToDriftRow()).ToList();

        var machines = new List<DriftMachine>();
        var listed = new List<Guid>();
        var faults = new List<string>();
        foreach (var pool in pools)
        {
            Heartbeat();
            try
            {
                using var specs = JsonDocument.Parse(pool.ExtraSpecs);
                var listing = await provider.ListInstancesAsync(new ProviderPool(pool.Id.ToString(), specs.RootElement.Clone()), CancellationToken);
                machines.AddRange(listing.Select(m => new DriftMachine(m.Name, m.ProviderId, pool.Id)));
                listed.Add(pool.Id);
            }
            catch (ProviderException e)
            {
                // A listing that failed says nothing about what exists: the pool is not judged this sweep.
                faults.Add($"provider \"{request.Provider}\" pool {pool.Id}: listing failed: {e.Message}");
            }
        }
        return InstanceDrift.Trim(new DriftSnapshot(request.Provider, rows, machines, listed, faults));
    }

    /// <inheritdoc/>
    [Activity("DriftRepair")]
    public async Task<DriftRepairResult> RepairAsync(DriftPlan plan)
    {
        var provider = providers.Get(plan.Provider);
        var faults = new List<string>();
        int orphansDeleted = 0, orphansSkipped = 0, lostMarked = 0, lostSkipped = 0;
        foreach (var orphan in plan.Orphans)
        {
            Heartbeat();
            if (await IsClaimedAsync(orphan.Name))
            {
                orphansSkipped++;
                continue;
            }
            var target = string.IsNullOrEmpty(orphan.ProviderId) ? orphan.Name : orphan.ProviderId;
            try
            {
                await provider.DeleteInstanceAsync(target, new ProviderPool(orphan.PresetId.ToString()), CancellationToken);
                orphansDeleted++;
                logger.LogWarning("drift: provider {Provider} had machine {Name} ({ProviderId}) in pool {Pool} that no instance owns: deleted", plan.Provider, orphan.Name, orphan.ProviderId, orphan.PresetId);
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
            {
                orphansDeleted++;
            }
            catch (ProviderException e)
            {
                faults.Add($"orphan {orphan.Name}: {e.Message}");
            }
        }

        foreach (var row in plan.Lost)
        {
            Heartbeat();
            var reason = $"drift sweep: provider \"{plan.Provider}\" no longer lists machine \"{row.Name}\"";
            if (!await MarkLostAsync(row.InstanceId, reason))
            {
                lostSkipped++;
                continue;
            }
            lostMarked++;
            logger.LogWarning("drift: instance {InstanceId} ({Name}): {Reason}; marked error and deleted", row.InstanceId, row.Name, reason);
            await RequestDeleteAsync(row.InstanceId, reason, faults);
        }
        return new DriftRepairResult(plan.Provider, orphansDeleted, orphansSkipped, lostMarked, lostSkipped, faults);
    }

    private static CancellationToken CancellationToken =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : default;

    private static void Heartbeat()
    {
        if (ActivityExecutionContext.HasCurrent)
            ActivityExecutionContext.Current.Heartbeat();
    }

    private async Task<bool> IsClaimedAsync(string name)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM workspaces WHERE instance_name = @Name AND NOT deleted)",
            new { Name = name },
            cancellationToken: CancellationToken));
    }

    /// <summary>
    /// running → error with the reason, only if the row is still running; true also when an earlier attempt of this
    /// repair marked it (same reason), so a retried activity still tells the workflow.
    /// </summary>
    private async Task<bool> MarkLostAsync(Guid instanceId, string reason)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken);
        var marked = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            """
            UPDATE workspaces
            SET instance_status = CASE WHEN instance_status = 'running' THEN 'error' ELSE instance_status END,
                provider_fault = @Reason,
                updated_at = CASE WHEN instance_status = 'running' THEN now() ELSE updated_at END
            WHERE id = @Id AND NOT deleted
              AND (instance_status = 'running' OR (instance_status = 'error' AND provider_fault = @Reason))
            RETURNING id
            """,
            new { Id = instanceId, Reason = reason },
            cancellationToken: CancellationToken));
        return marked is not null;
    }

    private async Task RequestDeleteAsync(Guid instanceId, string reason, List<string> faults)
    {
        try
        {
            await client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(instanceId))
                .SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest(false, reason)));
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            // No workflow owns the row any more, and its machine is gone: the row is finished here.
            var result = await store.TransitionAsync(new InstanceTransition(instanceId, InstanceStatus.Deleted, Fault: reason, Forced: true), "drift-sweep", CancellationToken);
            if (result.Refusal is not null)
                faults.Add($"instance {instanceId}: {result.Refusal}");
        }
    }

    private sealed class PoolRow
    {
        public Guid Id { get; init; }

        public string ExtraSpecs { get; init; } = "{}";
    }

    private sealed class StoreRow
    {
        public Guid Id { get; init; }

        public string InstanceName { get; init; } = string.Empty;

        public Guid PresetId { get; init; }

        public string InstanceStatus { get; init; } = string.Empty;

        public bool Deleted { get; init; }

        public bool Settled { get; init; }

        public DriftRow ToDriftRow() => new(
            Id,
            InstanceName,
            PresetId,
            InstanceStatuses.TryParse(InstanceStatus, out var status) ? status : Workflows.Instances.InstanceStatus.Unknown,
            Deleted,
            Settled);
    }
}
