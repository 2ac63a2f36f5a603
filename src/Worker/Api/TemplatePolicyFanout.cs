using Lifecycle.Activities.Catalog;
using Lifecycle.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Api;

/// <summary>
/// Tells a template's workspaces that its policy changed, after the change has committed, so each workflow re-reads
/// the template and re-plans its timers (spec A9, A29). The seam between the API's write and the Instance workflows.
/// </summary>
public interface ITemplatePolicyFanout
{
    /// <summary>Signals every claimed workspace of the template; returns how many workflows were signalled.</summary>
    Task<int> TemplatePolicyChangedAsync(Guid templateId, CancellationToken cancellationToken);
}

/// <summary>
/// Signals <see cref="SignalName"/> (no arguments: the workflow re-reads the policy from the store, which has committed)
/// to <c>instance:{id}</c> of each of the template's workspaces that a user owns. Unclaimed prebuilds are skipped: the
/// lifecycle rules ignore them until a claim (A10, A31). An Instance workflow without a handler yet buffers the signal
/// (the .NET SDK delivers it once a handler is registered, and drops it with a warning when the run ends), so signalling
/// ahead of the handler is harmless. A workspace whose workflow has ended is skipped; any other failure is logged and
/// the rest still get their signal.
/// </summary>
public sealed class TemporalTemplatePolicyFanout(TemplateCatalog templates, ITemporalClient temporal, ILogger<TemporalTemplatePolicyFanout> logger) : ITemplatePolicyFanout
{
    /// <summary>The signal the Instance workflow handles to re-plan after a template policy change.</summary>
    public const string SignalName = "template-policy-changed";

    public async Task<int> TemplatePolicyChangedAsync(Guid templateId, CancellationToken cancellationToken)
    {
        var workspaces = await templates.ClaimedWorkspaceIdsAsync(templateId, cancellationToken);
        var signalled = 0;
        foreach (var id in workspaces)
        {
            try
            {
                await temporal.GetWorkflowHandle(WorkflowIds.Instance(id)).SignalAsync(SignalName, [], new WorkflowSignalOptions { Rpc = new() { CancellationToken = cancellationToken } });
                signalled++;
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                logger.LogInformation("template {TemplateId}: workspace {WorkspaceId} has no running workflow; nothing to re-plan", templateId, id);
            }
            catch (RpcException e)
            {
                logger.LogWarning(e, "template {TemplateId}: could not signal {Signal} to workspace {WorkspaceId}; its timers keep the previous policy until it is signalled again", templateId, SignalName, id);
            }
        }
        return signalled;
    }
}
