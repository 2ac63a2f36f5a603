using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Lifecycle.Workflows.Instances;

/// <summary>The claim (spec prebuilds.md B30): a ready, unclaimed prebuild becomes a user's workspace.</summary>
public sealed partial class InstanceWorkflow
{
    private static readonly ActivityOptions ClaimCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromSeconds(30),
        RetryPolicy = new()
        {
            InitialInterval = TimeSpan.FromSeconds(1),
            BackoffCoefficient = 2,
            MaximumInterval = TimeSpan.FromSeconds(10),
            MaximumAttempts = 5,
            NonRetryableErrorTypes = [ClaimFailures.NotClaimable, ClaimFailures.AlreadyClaimed, ClaimFailures.NameTaken, ClaimFailures.InvalidRequest],
        },
    };

    private bool claiming;
    private ClaimedWorkspace? claimed;

    /// <summary>Hands this prebuild to a user: owner, name, schedule and TTL change in one transaction.</summary>
    [WorkflowUpdate("claim")]
    public async Task<ClaimedWorkspace> ClaimAsync(ClaimRequest request)
    {
        // Two updates accepted in one workflow task both pass the validator; the second must not reach the store.
        if (claiming || claimed is not null)
        {
            throw new ApplicationFailureException($"instance {input.InstanceId}: already claimed or being claimed", ClaimFailures.AlreadyClaimed, nonRetryable: true);
        }
        claiming = true;
        try
        {
            claimed = await Workflow.ExecuteActivityAsync(
                (IClaimActivities a) => a.ClaimPrebuildAsync(new(input.InstanceId, request, Workflow.UtcNow)), ClaimCall);
            return claimed;
        }
        catch (ActivityFailureException e) when (e.InnerException is ApplicationFailureException refused)
        {
            throw new ApplicationFailureException(refused.Message, refused.ErrorType, nonRetryable: true);
        }
        finally
        {
            claiming = false;
        }
    }

    /// <summary>Rejects (leaving no events) a claim of an instance that is not ready, already claimed or being deleted.</summary>
    [WorkflowUpdateValidator(nameof(ClaimAsync))]
    public void ValidateClaim(ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var refusal =
            request.OwnerId == Guid.Empty ? "owner_id is required"
            : string.IsNullOrWhiteSpace(request.Name) ? "name is required"
            : claimed is not null ? $"already claimed by {claimed.OwnerId}"
            : claiming ? "a claim is in progress"
            : deleteRequested ? "being deleted"
            : phase != InstancePhase.Ready ? $"not ready (phase {phase})"
            : request.PresetId is { } wanted && wanted != input.PresetId ? $"belongs to preset {input.PresetId?.ToString() ?? "(none)"}, not {wanted}"
            : null;
        if (refusal is not null)
        {
            throw new ApplicationFailureException($"instance {input.InstanceId}: not claimable: {refusal}", ClaimFailures.NotClaimable, nonRetryable: true);
        }
    }

    /// <summary>Who claimed the instance and how, or null while it is an unclaimed prebuild (or was created for its owner).</summary>
    [WorkflowQuery("claimed")]
    public ClaimedWorkspace? Claimed() => claimed;
}
