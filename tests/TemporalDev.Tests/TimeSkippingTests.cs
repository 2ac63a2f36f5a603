using System.Diagnostics;
using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Time skipping as the Java test server does it: durable timers jump, the client's lock holds time.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class TimeSkippingTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Timer_of_hours_finishes_in_well_under_a_second()
    {
        Assert.True(temporal.SupportsTimeSkipping);
        var queue = temporal.NewTaskQueue();
        var before = await temporal.Env.GetCurrentTimeAsync();
        var wall = Stopwatch.StartNew();
        var (firedAt, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((TimerWorkflow w) => w.RunAsync(TimeSpan.FromHours(5)), new(temporal.NewWorkflowId(), queue));
            return (await h.GetResultAsync(), h);
        });
        wall.Stop();

        Assert.True(firedAt - before >= TimeSpan.FromHours(5), $"virtual time moved {firedAt - before}");
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(3), $"took {wall.Elapsed} of wall time");
        var (types, history) = await WorkerScope.HistoryAsync(handle);
        Assert.Contains(EventType.TimerStarted, types);
        Assert.Contains(EventType.TimerFired, types);
        WorkerScope.AssertReferences(history.Events);
    }

    [Fact]
    public async Task DelayAsync_moves_the_virtual_clock()
    {
        var before = await temporal.Env.GetCurrentTimeAsync();
        var wall = Stopwatch.StartNew();

        await temporal.Env.DelayAsync(TimeSpan.FromDays(2));

        var after = await temporal.Env.GetCurrentTimeAsync();
        Assert.True(after - before >= TimeSpan.FromDays(2), $"virtual time moved {after - before}");
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(2), $"took {wall.Elapsed} of wall time");
    }

    [Fact]
    public async Task Clock_runs_at_wall_speed_while_locked()
    {
        var before = await temporal.Env.GetCurrentTimeAsync();
        await Task.Delay(200);
        var after = await temporal.Env.GetCurrentTimeAsync();

        Assert.InRange(after - before, TimeSpan.FromMilliseconds(150), TimeSpan.FromMinutes(1));
    }
}
