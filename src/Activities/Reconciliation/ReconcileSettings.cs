using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Prebuilds;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>Configuration of prebuild reconciliation (section <c>Lifecycle:Prebuilds</c> in the worker).</summary>
public sealed class ReconcileSettings
{
    /// <summary>Backoff interval, lookback and hard limit; Coder's defaults.</summary>
    public PrebuildOptions Prebuilds { get; set; } = PrebuildOptions.Default;

    /// <summary>The task queue Instance workflows run on; null means the queue of the activity that starts them.</summary>
    public string? InstanceTaskQueue { get; set; }

    /// <summary>How Instance workflows of prebuilds retry a failed create.</summary>
    public CreateRetryPolicy CreateRetry { get; set; } = new();
}
