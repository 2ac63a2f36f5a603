using Temporalio.Activities;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The claim activity (spec prebuilds.md B30): hands an unclaimed, ready prebuild to a user in one transaction. Declared
/// here so the Instance workflow never references the store; implemented in Lifecycle.Activities.
/// </summary>
public interface IClaimActivities
{
    /// <summary>
    /// Claims the prebuild for the request's owner, only while the prebuilds user still owns it; a retry after the commit
    /// returns the same workspace. Fails (non-retryable) with <see cref="ClaimFailures"/> types otherwise.
    /// </summary>
    [Activity("ClaimPrebuild")]
    Task<ClaimedWorkspace> ClaimPrebuildAsync(ClaimPrebuildRequest request);
}

/// <summary>The <c>claim</c> update's argument: who takes the prebuild, under which name, with which schedule.</summary>
/// <param name="OwnerId">The user who becomes the owner.</param>
/// <param name="Name">The workspace name the owner chose (unique among the owner's workspaces).</param>
/// <param name="PresetId">The preset the user asked for; the claim is refused when the instance belongs to another.</param>
/// <param name="AutostartSchedule">Weekly cron (<c>CRON_TZ=… m h * * dow</c>), or null for no autostart.</param>
/// <param name="Ttl">Requested autostop TTL; null or zero takes the template default.</param>
public sealed record ClaimRequest(Guid OwnerId, string Name, Guid? PresetId = null, string? AutostartSchedule = null, TimeSpan? Ttl = null);

/// <summary>The activity's argument: the claim request aimed at one instance.</summary>
/// <param name="InstanceId">The prebuild.</param>
/// <param name="Claim">What the user asked for.</param>
/// <param name="At">The workflow's clock at the claim (last used, next start and the claim time); null: the database's.</param>
public sealed record ClaimPrebuildRequest(Guid InstanceId, ClaimRequest Claim, DateTimeOffset? At = null);

/// <summary>A workspace as the claim left it.</summary>
public sealed record ClaimedWorkspace(
    Guid InstanceId,
    string Name,
    Guid OwnerId,
    Guid? PresetId,
    Guid TemplateId,
    string? AutostartSchedule,
    TimeSpan? Ttl,
    DateTimeOffset? NextStartAt,
    DateTimeOffset ClaimedAt);

/// <summary>Error types a claim fails or is rejected with, so callers can tell "try the next prebuild" from "stop".</summary>
public static class ClaimFailures
{
    /// <summary>The instance is not a ready, unclaimed prebuild of the requested preset (any more): try another.</summary>
    public const string NotClaimable = "NotClaimable";

    /// <summary>Another user's claim won the row: try another.</summary>
    public const string AlreadyClaimed = "AlreadyClaimed";

    /// <summary>The owner already has a workspace of that name: no other prebuild will do better.</summary>
    public const string NameTaken = "NameTaken";

    /// <summary>The request itself is invalid (schedule, TTL): no other prebuild will do better.</summary>
    public const string InvalidRequest = "InvalidRequest";
}
