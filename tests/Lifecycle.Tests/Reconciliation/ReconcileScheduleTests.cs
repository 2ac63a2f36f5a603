using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>The <c>reconcile-all</c> schedule: created once, updated on restart, a pause survives.</summary>
public sealed class ReconcileScheduleTests(TemporalFixture temporal) : IClassFixture<TemporalFixture>
{
    [Fact]
    public async Task Ensure_creates_then_updates_the_interval_and_keeps_an_operators_pause()
    {
        await ReconcileSchedule.EnsureAsync(temporal.Client, "reconcile-schedule-tests", TimeSpan.FromMinutes(1));
        var handle = temporal.Client.GetScheduleHandle(ReconcileSchedule.Id);
        await handle.PauseAsync("operator");

        await ReconcileSchedule.EnsureAsync(temporal.Client, "reconcile-schedule-tests", TimeSpan.FromMinutes(2));
        var described = await handle.DescribeAsync();

        Assert.True(described.Schedule.State.Paused);
        Assert.Equal(TimeSpan.FromMinutes(2), Assert.Single(described.Schedule.Spec.Intervals).Every);
        Assert.Equal(ScheduleOverlapPolicy.Skip, described.Schedule.Policy.Overlap);
        await handle.DeleteAsync();
    }
}
