using Lifecycle.Workflows.Prebuilds;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>What the <c>reconcile-all</c> schedule starts a pass with.</summary>
/// <param name="Options">Failure handling to use instead of the worker's configuration; null means the configuration.</param>
/// <param name="MaxConcurrentPresets">How many <c>ReconcilePreset</c> children may be pending at once (1..500).</param>
/// <param name="DriftSweepEvery">
/// The drift sweep window: the first pass of each window starts an <c>InstanceDriftSweep</c>; null means no sweep.
/// </param>
public sealed record ReconcileAllInput(PrebuildOptions? Options = null, int MaxConcurrentPresets = ReconcileAllInput.MaxPendingChildren, TimeSpan? DriftSweepEvery = null)
{
    /// <summary>GARM's orphan-cleanup cadence: every 5 minutes.</summary>
    public static readonly TimeSpan DefaultDriftSweepEvery = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The hard bound on children pending at once: well under the server's default limit of 2,000 pending children, so a
    /// pass can never be refused a child start because of its own fan-out.
    /// </summary>
    public const int MaxPendingChildren = 500;
}

/// <summary>How one pass went; the numbers an operator reads in the UI.</summary>
/// <param name="Paused">The pass did nothing because reconciliation is paused.</param>
/// <param name="Presets">Presets with prebuild configuration in the snapshot.</param>
/// <param name="PresetsWithWork">Presets whose decision had something to carry out.</param>
/// <param name="Reconciled">Children that ran and completed.</param>
/// <param name="AlreadyRunning">Presets skipped because a child of an earlier pass still owns them.</param>
/// <param name="Failed">Children that failed; the other presets went on (spec B6).</param>
/// <param name="FailedPresetIds">Which presets failed, for the operator.</param>
public sealed record ReconcileAllResult(
    bool Paused,
    int Presets,
    int PresetsWithWork,
    int Reconciled,
    int AlreadyRunning,
    int Failed,
    IReadOnlyList<Guid> FailedPresetIds);

/// <summary>What a <c>ReconcilePreset</c> child carries out: one preset's decision of one pass.</summary>
/// <param name="PassId">The run id of the pass; with the preset and an index it keys each created instance.</param>
/// <param name="Decision">The preset's state and actions, in the order they run.</param>
public sealed record ReconcilePresetInput(string PassId, PresetDecision Decision);

/// <summary>What a preset's reconciliation did.</summary>
/// <param name="PresetId">The preset.</param>
/// <param name="Created">Instances inserted (and their workflows started) by this run.</param>
/// <param name="DeleteRequested">Prebuilds whose Instance workflow was told to delete.</param>
/// <param name="SkippedClaimed">Prebuilds not deleted because a user claimed them since the snapshot.</param>
/// <param name="Canceled">Pending initial builds canceled.</param>
/// <param name="MarkedHardLimited">This run marked the preset hard-limited.</param>
/// <param name="NotificationsEnqueued">Hard-limit notifications this run enqueued (0 when an earlier attempt did).</param>
public sealed record ReconcilePresetResult(
    Guid PresetId,
    int Created,
    int DeleteRequested,
    int SkippedClaimed,
    int Canceled,
    bool MarkedHardLimited,
    int NotificationsEnqueued);
