using Temporalio.Workflows;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>
/// One drift sweep (GARM's orphan cleanup): per configured provider, read the drift, decide the repairs
/// (<see cref="InstanceDrift.Decide"/>, deterministic here) and carry them out. Started by <c>ReconcileAll</c> at most
/// once per sweep window (id <c>instance-drift-sweep:{window}</c>), so providers are listed every few minutes, not every pass.
/// </summary>
[Workflow("InstanceDriftSweep")]
public sealed class InstanceDriftSweepWorkflow
{
    private static readonly ActivityOptions Call = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(5),
        HeartbeatTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new() { InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromSeconds(30), MaximumAttempts = 3 },
    };

    /// <summary>Sweeps every configured provider, one after the other.</summary>
    [WorkflowRun]
    public async Task<DriftSweepResult> RunAsync(DriftSweepInput input)
    {
        var providers = await Workflow.ExecuteActivityAsync((IDriftActivities a) => a.ListProvidersAsync(), Call);
        var repairs = new List<DriftRepairResult>();
        var listFaults = new List<string>();
        foreach (var provider in providers)
        {
            var snapshot = await Workflow.ExecuteActivityAsync(
                (IDriftActivities a) => a.ReadAsync(new DriftReadRequest(provider, input.LostGrace)), Call);
            listFaults.AddRange(snapshot.ListFaults);
            var plan = InstanceDrift.Decide(snapshot, input.MaxRepairsPerProvider);
            if (plan.HasWork)
            {
                repairs.Add(await Workflow.ExecuteActivityAsync((IDriftActivities a) => a.RepairAsync(plan), Call));
            }
        }
        return new DriftSweepResult(repairs, listFaults);
    }
}
