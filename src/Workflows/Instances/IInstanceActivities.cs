using Temporalio.Activities;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The activities an Instance workflow calls. Declared here so workflow code never references the store or the
/// provider client; implemented in Lifecycle.Activities. Every one is idempotent: a retry, or a replay after a crash,
/// changes nothing twice and never makes a second machine.
/// </summary>
public interface IInstanceActivities
{
    /// <summary>Moves the instance's stored state, if the move is allowed from where it stands; a no-op when already there.</summary>
    [Activity("InstanceTransition")]
    Task<InstanceTransitionResult> TransitionAsync(InstanceTransition transition);

    /// <summary>Creates the machine through its provider, first looking it up by name so a retry adopts it; a failed create's leftovers are removed.</summary>
    [Activity("MachineCreate")]
    Task<MachineCreateResult> CreateMachineAsync(MachineCreateRequest request);

    /// <summary>Deletes the machine through its provider; "not found" is a success.</summary>
    [Activity("MachineDelete")]
    Task<MachineDeleteResult> DeleteMachineAsync(MachineDeleteRequest request);
}

/// <summary>A requested state change, with what it records.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="To">The target state.</param>
/// <param name="Fault">The provider's or the workflow's message, for error and back-off states.</param>
/// <param name="ProviderId">The provider's id for the machine, once known.</param>
/// <param name="CreateAttempt">The create attempt this change belongs to.</param>
/// <param name="Ready">True when the agent called back (the instance becomes claimable).</param>
/// <param name="CreateGivenUp">True when the instance is given up (creates exhausted, or never ready): one failed build for the preset.</param>
/// <param name="Forced">A write outside the transition table that GARM also forces (a retry's error → pending_create).</param>
/// <param name="Reason">The reason recorded on a delete build (autodelete when the lifecycle rules delete); null: initiator.</param>
/// <param name="At">The workflow's clock for build and job times (a workspace's rules compare them); null: the database's.</param>
/// <param name="DeleteFailed">A delete that failed and is given up for now: its job is marked failed (error → the fault).</param>
public sealed record InstanceTransition(
    Guid InstanceId,
    InstanceStatus To,
    string? Fault = null,
    string? ProviderId = null,
    int? CreateAttempt = null,
    bool Ready = false,
    bool CreateGivenUp = false,
    bool Forced = false,
    Workspaces.BuildReason? Reason = null,
    DateTimeOffset? At = null,
    bool DeleteFailed = false);

/// <summary>The outcome of a transition: whether it was written and what the state was before.</summary>
public sealed record InstanceTransitionResult(bool Applied, InstanceStatus? From, string? Refusal = null)
{
    /// <summary>The row belongs to a user (a claimed prebuild or a workspace made for its owner), not the prebuilds user.</summary>
    public bool IsWorkspace { get; init; }
}

/// <summary>A create call for one attempt.</summary>
public sealed record MachineCreateRequest(Guid InstanceId, string Name, string ProviderName, Guid? PresetId, int Attempt);

/// <summary>What the provider made: its id and status, or the fault that stopped it.</summary>
/// <param name="Created">True when the provider returned an instance whose status is not error.</param>
/// <param name="ProviderId">The provider's id; null when it failed before assigning one.</param>
/// <param name="Status">The provider's status text for the machine.</param>
/// <param name="Fault">Why it failed, when it did.</param>
public sealed record MachineCreateResult(bool Created, string? ProviderId, string? Status, string? Fault)
{
    /// <summary>After a failed create: whatever it half-made is gone (removed, or never there). False when the cleanup failed.</summary>
    public bool CleanedUp { get; init; }
}

/// <summary>A delete call: by provider id when known, else by name.</summary>
public sealed record MachineDeleteRequest(Guid InstanceId, string Name, string ProviderName, string? ProviderId, bool Force);

/// <summary>What a delete achieved.</summary>
/// <param name="Deleted">True when the machine is gone (deleted now, or the provider no longer had it).</param>
/// <param name="NotFound">True when the provider did not know the machine.</param>
/// <param name="Fault">The provider's error when it was not deleted.</param>
public sealed record MachineDeleteResult(bool Deleted, bool NotFound, string? Fault);
