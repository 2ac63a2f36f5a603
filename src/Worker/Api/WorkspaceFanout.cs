using Lifecycle.Activities.Catalog;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Api;

/// <summary>
/// Tells workspaces that something they plan from changed, after the change has committed, so each workflow re-reads
/// it and re-plans its timers: a template's policy (spec A9, A29), an owner's status or quiet hours (A7). The seam
/// between the API's catalog writes and the Instance workflows.
/// </summary>
public interface IWorkspaceFanout
{
    /// <summary>Signals <c>template-policy-changed</c> to every claimed workspace of the template; returns how many were signalled.</summary>
    Task<int> TemplatePolicyChangedAsync(Guid templateId, CancellationToken cancellationToken);

    /// <summary>Signals <c>owner-status-changed</c> to every live workspace the user owns; returns how many were signalled.</summary>
    Task<int> OwnerStatusChangedAsync(Guid ownerId, CancellationToken cancellationToken);
}

/// <summary>
/// Signals (no arguments: the workflow re-reads from the store, which has committed) <c>instance:{id}</c> of each
/// workspace concerned. Unclaimed prebuilds are never among them: the lifecycle rules ignore them until a claim (A10,
/// A31). An Instance workflow without a handler yet buffers the signal (the .NET SDK delivers it once a handler is
/// registered, and drops it with a warning when the run ends), so signalling ahead of the handler is harmless. A
/// workspace whose workflow has ended is skipped; any other failure is logged and the rest still get their signal.
/// </summary>
public sealed class TemporalWorkspaceFanout(TemplateCatalog templates, WorkspaceCatalog workspaces, ITemporalClient temporal, ILogger<TemporalWorkspaceFanout> logger) : IWorkspaceFanout
{
    public async Task<int> TemplatePolicyChangedAsync(Guid templateId, CancellationToken cancellationToken) =>
        await SignalEachAsync(await templates.ClaimedWorkspaceIdsAsync(templateId, cancellationToken), WorkspaceHandlers.TemplatePolicyChanged, $"template {templateId}", cancellationToken);

    public async Task<int> OwnerStatusChangedAsync(Guid ownerId, CancellationToken cancellationToken) =>
        await SignalEachAsync(await workspaces.LiveIdsOfOwnerAsync(ownerId, cancellationToken), WorkspaceHandlers.OwnerStatusChanged, $"user {ownerId}", cancellationToken);

    // Signals in flight at once: a template of thousands of workspaces is told within its PATCH, not one round trip after another.
    private const int SignalsInFlight = 16;

    private async Task<int> SignalEachAsync(IReadOnlyList<Guid> workspaceIds, string signal, string cause, CancellationToken cancellationToken)
    {
        var signalled = 0;
        await Parallel.ForEachAsync(workspaceIds, new ParallelOptions { MaxDegreeOfParallelism = SignalsInFlight, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            try
            {
                await temporal.GetWorkflowHandle(WorkflowIds.Instance(id)).SignalAsync(signal, [], new WorkflowSignalOptions { Rpc = new() { CancellationToken = ct } });
                Interlocked.Increment(ref signalled);
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                logger.LogInformation("{Cause}: workspace {WorkspaceId} has no running workflow; nothing to re-plan", cause, id);
            }
            catch (RpcException e)
            {
                logger.LogWarning(e, "{Cause}: could not signal {Signal} to workspace {WorkspaceId}; its timers keep the previous plan until it is signalled again", cause, signal, id);
            }
        });
        return signalled;
    }
}
