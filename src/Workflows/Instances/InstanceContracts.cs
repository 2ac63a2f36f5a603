namespace Lifecycle.Workflows.Instances;

/// <summary>What an Instance workflow is started with: the instance's identity and the limits that govern its life.</summary>
/// <param name="InstanceId">The instance's row id; the workflow id is <c>instance:{InstanceId}</c>.</param>
/// <param name="Name">The machine name, unique across the installation: the provider's idempotency key.</param>
/// <param name="ProviderName">The configured provider that owns the machine.</param>
/// <param name="PresetId">The preset (GARM: pool) the instance belongs to, when it is a prebuild.</param>
/// <param name="TemplateId">The template the instance was built from.</param>
/// <param name="BootstrapTimeout">How long a created machine may take to call back ready before it is replaced.</param>
/// <param name="CreateRetry">How often and how soon a failed create is tried again (GARM: 5 attempts).</param>
/// <param name="Carry">State carried over a continue-as-new; null on the first run.</param>
public sealed record InstanceWorkflowInput(
    Guid InstanceId,
    string Name,
    string ProviderName,
    Guid? PresetId,
    Guid? TemplateId,
    TimeSpan BootstrapTimeout,
    CreateRetryPolicy CreateRetry,
    InstanceCarry? Carry = null)
{
    /// <summary>GARM's default runner bootstrap timeout.</summary>
    public static readonly TimeSpan DefaultBootstrapTimeout = TimeSpan.FromMinutes(20);
}

/// <summary>
/// Where a workflow run left off, handed to the next run by continue-as-new. The signal flags (delete, force delete,
/// ready) are carried too, so a signal that arrived before the new run began is acted on by it. StoreReleased: the
/// store no longer holds the instance (row gone or deleted), so nothing more is written. The workspace fields: the
/// claim, whether the instance is a user's workspace and its first build under the owner is done, who owns it, and
/// why a delete in progress was decided (autodelete). Everything else of a workspace is re-read from the store.
/// </summary>
public sealed record InstanceCarry(
    InstancePhase Phase,
    InstanceStatus Status,
    int CreateAttempt,
    string? ProviderId,
    TimeSpan DeleteBackoff,
    bool DeleteRequested,
    bool ForceDeleteRequested,
    bool ReadySignalled,
    bool EverReady,
    bool NeedsCleanup,
    string? LastFault,
    DateTime? BootstrapDeadline,
    bool StoreReleased = false,
    ClaimedWorkspace? Claimed = null,
    bool IsWorkspace = false,
    bool WorkspaceEntered = false,
    Guid? OwnerId = null,
    Workspaces.BuildReason? DeleteReason = null);

/// <summary>The stretch of its life an Instance workflow is in.</summary>
public enum InstancePhase
{
    /// <summary>Creating the machine, retrying with cleanup.</summary>
    Creating,

    /// <summary>The machine exists; waiting for its agent to call back.</summary>
    Bootstrapping,

    /// <summary>Ready; waiting to be claimed or deleted.</summary>
    Ready,

    /// <summary>Deleting the machine, with backoff unless forced.</summary>
    Deleting,

    /// <summary>Gone; the workflow completes.</summary>
    Deleted,

    /// <summary>A user's workspace (claimed, or made for its owner): the lifecycle rules run it on durable timers.</summary>
    Workspace,
}

/// <summary>The delete signal: a plain delete backs off on provider errors; a forced one ignores them.</summary>
public sealed record DeleteInstanceRequest(bool Force = false, string? Reason = null);

/// <summary>What the <c>state</c> query answers.</summary>
public sealed record InstanceView(
    Guid InstanceId,
    string Name,
    InstancePhase Phase,
    InstanceStatus Status,
    int CreateAttempt,
    string? ProviderId,
    bool Ready,
    bool DeleteRequested,
    bool ForceDeleteRequested,
    TimeSpan DeleteBackoff,
    string? LastFault)
{
    /// <summary>The workspace's owner once the instance is a user's workspace; null while it is an unclaimed prebuild.</summary>
    public Guid? OwnerId { get; init; }
}

/// <summary>How an Instance workflow ended.</summary>
public sealed record InstanceOutcome(Guid InstanceId, bool EverReady, int CreateAttempts, string? LastFault);
