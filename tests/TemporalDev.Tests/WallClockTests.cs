using Lifecycle.Testing.Temporal;
using Temporalio.Client;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>The temporal CLI's dev-server form: launched by StartLocalAsync, wall-clock time, no TestService.</summary>
[Collection(WallClockCollection.Name)]
public sealed class WallClockTests(WallClockTemporalFixture temporal)
{
    [Fact]
    public async Task Dev_server_form_runs_workflows_without_time_skipping()
    {
        Assert.False(temporal.SupportsTimeSkipping);
        var queue = temporal.NewTaskQueue();

        var result = await WorkerScope.RunAsync(temporal, queue, () =>
            temporal.Client.ExecuteWorkflowAsync((GreetingWorkflow w) => w.RunAsync("dev"), new(temporal.NewWorkflowId(), queue)));

        Assert.Equal("Hello, dev!", result);
    }

    [Fact]
    public async Task Short_timer_fires_on_the_wall_clock()
    {
        var queue = temporal.NewTaskQueue();
        var started = DateTime.UtcNow;

        var firedAt = await WorkerScope.RunAsync(temporal, queue, () =>
            temporal.Client.ExecuteWorkflowAsync((TimerWorkflow w) => w.RunAsync(TimeSpan.FromMilliseconds(500)), new(temporal.NewWorkflowId(), queue)));

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(30));
        Assert.InRange(firedAt - started, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(30));
    }
}
