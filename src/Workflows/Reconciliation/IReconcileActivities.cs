using Lifecycle.Workflows.Prebuilds;
using Temporalio.Activities;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>
/// The activities of prebuild reconciliation. Declared here so workflow code never references the store or the
/// Temporal client; implemented in Lifecycle.Activities. Every one is idempotent: a retry, or a replay after a crash,
/// inserts nothing twice, starts no second workflow and sends no second notification.
/// </summary>
public interface IReconcileActivities
{
    /// <summary>Reads every preset's prebuild state in one read-only repeatable-read transaction (spec B4).</summary>
    [Activity(ReconcileActivityNames.ReadSnapshot)]
    Task<PrebuildPass> ReadSnapshotAsync(PrebuildSnapshotRequest request);

    /// <summary>Inserts prebuild instances (row, first start build, pending job), keyed by pass, preset and index.</summary>
    [Activity(ReconcileActivityNames.InsertPrebuilds)]
    Task<InsertPrebuildsResult> InsertPrebuildsAsync(InsertPrebuildsRequest request);

    /// <summary>Starts the Instance workflow of each inserted prebuild; one already started (or finished) is left alone.</summary>
    [Activity(ReconcileActivityNames.StartInstances)]
    Task<StartInstancesResult> StartInstancesAsync(StartInstancesRequest request);

    /// <summary>Per prebuild: if still unclaimed, records a delete build and signals its Instance workflow <c>delete</c>.</summary>
    [Activity(ReconcileActivityNames.DeletePrebuilds)]
    Task<DeletePrebuildsResult> DeletePrebuildsAsync(DeletePrebuildsRequest request);

    /// <summary>Cancels the preset's initial start builds on a non-active version that nothing picked up (spec B26).</summary>
    [Activity(ReconcileActivityNames.CancelPending)]
    Task<CancelPendingResult> CancelPendingAsync(CancelPendingRequest request);

    /// <summary>Marks the preset hard-limited and enqueues one notification per template admin, de-duplicated by key.</summary>
    [Activity(ReconcileActivityNames.MarkHardLimited)]
    Task<MarkHardLimitedResult> MarkHardLimitedAsync(MarkHardLimitedRequest request);

    /// <summary>Records the pass in the domain metrics (duration, outcome); run as a local activity.</summary>
    [Activity(ReconcileActivityNames.ReportPass)]
    Task ReportPassAsync(ReconcilePassReport report);
}

/// <summary>The registered names of the reconcile activities (shared by the interface and the implementation).</summary>
public static class ReconcileActivityNames
{
    public const string ReadSnapshot = "PrebuildSnapshotRead";
    public const string InsertPrebuilds = "PrebuildsInsert";
    public const string StartInstances = "InstanceWorkflowsStart";
    public const string DeletePrebuilds = "PrebuildsDelete";
    public const string CancelPending = "PrebuildsCancelPending";
    public const string MarkHardLimited = "PresetMarkHardLimited";
    public const string ReportPass = "ReconcilePassReport";
}

/// <summary>A snapshot read; <paramref name="Options"/> overrides the worker's configured failure handling.</summary>
public sealed record PrebuildSnapshotRequest(PrebuildOptions? Options = null);

/// <summary>
/// A snapshot and what to decide it with: the options the queries used (lookback, hard limit) and the database's clock
/// at the read, so a decision compares timestamps written by the same clock (no skew, and the same in time skipping).
/// </summary>
/// <param name="Snapshot">
/// The rows of the presets whose decision has work (and the paused flag). A preset's decision depends on its own rows
/// only, so the workflow's decisions over this snapshot are exactly the activity's; the payload grows with the work to
/// do, not with the fleet (10,000 idle prebuilds would otherwise be a 1.3 MB history event).
/// </param>
/// <param name="Options">The options the snapshot was read and decided with.</param>
/// <param name="ReadAt">The database clock at the read.</param>
/// <param name="PresetsRead">How many presets with prebuild configuration the snapshot held in all.</param>
public sealed record PrebuildPass(GlobalSnapshot Snapshot, PrebuildOptions Options, DateTimeOffset ReadAt, int PresetsRead);

/// <summary>Insert <paramref name="Count"/> prebuilds with indexes <paramref name="FirstIndex"/>.. of one pass and preset.</summary>
public sealed record InsertPrebuildsRequest(string PassId, Guid PresetId, int FirstIndex, int Count);

/// <summary>A prebuild instance as its Instance workflow needs it.</summary>
/// <param name="InstanceId">The instance (workspace) id, derived from the creation key.</param>
/// <param name="Name">The machine name (the provider's idempotency key).</param>
/// <param name="ProviderName">The template's provider.</param>
/// <param name="PresetId">The preset.</param>
/// <param name="TemplateId">The template.</param>
/// <param name="BootstrapTimeout">The template's bootstrap timeout.</param>
/// <param name="Inserted">False when an earlier attempt had already inserted it.</param>
public sealed record PrebuildInstance(
    Guid InstanceId,
    string Name,
    string ProviderName,
    Guid PresetId,
    Guid TemplateId,
    TimeSpan BootstrapTimeout,
    bool Inserted);

/// <summary>The inserted (or already present) instances; <paramref name="Refusal"/> says why none were, when none were.</summary>
public sealed record InsertPrebuildsResult(IReadOnlyList<PrebuildInstance> Instances, string? Refusal = null);

/// <summary>Instances whose workflows to start.</summary>
public sealed record StartInstancesRequest(IReadOnlyList<PrebuildInstance> Instances);

/// <summary>How many workflows were started now and how many already existed.</summary>
public sealed record StartInstancesResult(int Started, int AlreadyStarted);

/// <summary>Prebuilds of a preset to delete, oldest first, and why.</summary>
public sealed record DeletePrebuildsRequest(Guid PresetId, IReadOnlyList<Guid> InstanceIds, PrebuildDeleteReason Reason);

/// <summary>What happened to each prebuild of a delete request.</summary>
/// <param name="Signalled">Still unclaimed: a delete build is recorded and the workflow was signalled.</param>
/// <param name="Claimed">Owned by a user now ("probably claimed"): left alone (spec B25).</param>
/// <param name="Gone">Already deleted, or no longer a running prebuild: nothing to do.</param>
public sealed record DeletePrebuildsResult(IReadOnlyList<Guid> Signalled, IReadOnlyList<Guid> Claimed, IReadOnlyList<Guid> Gone);

/// <summary>Cancel the preset's pending initial builds.</summary>
public sealed record CancelPendingRequest(Guid PresetId);

/// <summary>The instances whose initial build was canceled (and which are now deleted).</summary>
public sealed record CancelPendingResult(IReadOnlyList<Guid> CanceledInstanceIds);

/// <summary>Mark a preset hard-limited; <paramref name="NotificationKey"/> identifies the limit episode.</summary>
public sealed record MarkHardLimitedRequest(Guid PresetId, string NotificationKey);

/// <summary>Whether this call changed the status, and how many notifications it enqueued (0 on a repeat).</summary>
public sealed record MarkHardLimitedResult(bool Marked, int NotificationsEnqueued);

/// <summary>A pass's outcome for the metrics.</summary>
public sealed record ReconcilePassReport(TimeSpan Duration, bool Paused, int Presets, int PresetsWithWork, int Failed);
