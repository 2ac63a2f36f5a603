using Lifecycle.Workflows.Instances;
using Temporalio.Workflows;

namespace Lifecycle.Tests.Api;

/// <summary>Stands in for an Instance workflow at <c>instance:{id}</c>: counts template-policy-changed signals and ends after the first.</summary>
[Workflow("ApiTests.PolicySignalRecorder")]
public sealed class PolicySignalRecorder
{
    private int received;

    [WorkflowQuery("received")]
    public int Received => received;

    [WorkflowRun]
    public async Task<int> RunAsync(bool waitForever)
    {
        await Workflow.WaitConditionAsync(() => received > 0 && !waitForever);
        return received;
    }

    [WorkflowSignal(WorkspaceHandlers.TemplatePolicyChanged)]
    public Task PolicyChangedAsync()
    {
        received++;
        return Task.CompletedTask;
    }
}
