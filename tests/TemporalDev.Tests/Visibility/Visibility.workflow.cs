using Temporalio.Common;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Visibility;

/// <summary>Upserts the Region attribute (or unsets it when null), then completes.</summary>
[Workflow]
public class RegionUpsertWorkflow
{
    [WorkflowRun]
    public Task RunAsync(string? region)
    {
        Workflow.UpsertTypedSearchAttributes(region is null ? VisibilityFixture.Region.ValueUnset() : VisibilityFixture.Region.ValueSet(region));
        return Task.CompletedTask;
    }
}

/// <summary>Upserts an attribute nobody registered; the server fails the workflow task.</summary>
[Workflow]
public class UnregisteredUpsertWorkflow
{
    public static readonly SearchAttributeKey<string> Unregistered = SearchAttributeKey.CreateKeyword("NeverRegistered");

    [WorkflowRun]
    public async Task RunAsync()
    {
        Workflow.UpsertTypedSearchAttributes(Unregistered.ValueSet("x"));
        await Workflow.DelayAsync(TimeSpan.FromDays(1));
    }
}

/// <summary>Continues as new once with the attributes it was given, so the next run carries them.</summary>
[Workflow]
public class ContinueWithAttributesWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(bool continued)
    {
        if (!continued)
        {
            throw Workflow.CreateContinueAsNewException((ContinueWithAttributesWorkflow w) => w.RunAsync(true), new()
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder(Workflow.TypedSearchAttributes).Set(VisibilityFixture.Region, "continued").ToSearchAttributeCollection(),
            });
        }

        await Workflow.DelayAsync(TimeSpan.FromDays(1));
    }
}
