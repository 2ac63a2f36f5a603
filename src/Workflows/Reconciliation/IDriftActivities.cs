using Temporalio.Activities;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>
/// The I/O of the drift sweep: the configured providers, a read of one provider's drift (store first, then its
/// listings), and the repairs. Implemented in Lifecycle.Activities; each repair re-checks the store, so a retry or a
/// sweep racing a create or delete changes nothing wrongly.
/// </summary>
public interface IDriftActivities
{
    /// <summary>The configured provider names.</summary>
    [Activity("DriftProviders")]
    Task<IReadOnlyList<string>> ListProvidersAsync();

    /// <summary>One provider's drift, trimmed to what the decision acts on (<see cref="InstanceDrift.Trim"/>).</summary>
    [Activity("DriftRead")]
    Task<DriftSnapshot> ReadAsync(DriftReadRequest request);

    /// <summary>Deletes the orphans no row has claimed since, marks the lost rows still running and signals their workflows.</summary>
    [Activity("DriftRepair")]
    Task<DriftRepairResult> RepairAsync(DriftPlan plan);
}
