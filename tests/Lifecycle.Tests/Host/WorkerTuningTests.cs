using Lifecycle.Worker.Configuration;
using Lifecycle.Worker.Temporal;
using Microsoft.Extensions.Configuration;
using Temporalio.Worker;
using Temporalio.Worker.Tuning;
using Xunit;

namespace Lifecycle.Tests.Host;

/// <summary>The worker's slots, pollers and cache (LIFECYCLE_WORKER_*): defaults, overrides, and a clear line for a bad value.</summary>
public sealed class WorkerTuningTests
{
    [Fact]
    public void Defaults_reach_the_worker_options()
    {
        var options = new TemporalWorkerOptions("q");
        WorkerTuning.Load(Configuration([])).ApplyTo(options);

        Assert.Equal((1000, 100, 100, 100), (options.MaxCachedWorkflows, options.MaxConcurrentWorkflowTasks, options.MaxConcurrentLocalActivities, options.MaxConcurrentActivities));
        Assert.Equal(10, Assert.IsType<PollerBehavior.SimpleMaximum>(options.WorkflowTaskPollerBehavior).Maximum);
    }

    [Fact]
    public void Each_variable_overrides_its_value()
    {
        var tuning = WorkerTuning.Load(Configuration(new()
        {
            ["LIFECYCLE_WORKER_CACHED_WORKFLOWS"] = "5000",
            ["LIFECYCLE_WORKER_WORKFLOW_POLLERS"] = "20",
            ["LIFECYCLE_WORKER_WORKFLOW_TASK_SLOTS"] = "200",
            ["LIFECYCLE_WORKER_LOCAL_ACTIVITY_SLOTS"] = "50",
            ["LIFECYCLE_WORKER_ACTIVITY_SLOTS"] = "30",
        }));

        Assert.Equal(new WorkerTuning(5000, 20, 200, 50, 30), tuning);
    }

    [Theory]
    [InlineData("zero", "LIFECYCLE_WORKER_WORKFLOW_POLLERS", "0", "invalid setting LIFECYCLE_WORKER_WORKFLOW_POLLERS (Lifecycle:Worker:WorkflowPollers): \"0\" is not a positive whole number")]
    [InlineData("negative", "LIFECYCLE_WORKER_CACHED_WORKFLOWS", "-1", "invalid setting LIFECYCLE_WORKER_CACHED_WORKFLOWS (Lifecycle:Worker:CachedWorkflows): \"-1\" is not a positive whole number")]
    [InlineData("not a number", "LIFECYCLE_WORKER_ACTIVITY_SLOTS", "many", "invalid setting LIFECYCLE_WORKER_ACTIVITY_SLOTS (Lifecycle:Worker:ActivitySlots): \"many\" is not a positive whole number")]
    public void A_bad_value_names_its_setting(string why, string variable, string value, string message)
    {
        var e = Assert.Throws<InvalidSettingException>(() => WorkerTuning.Load(Configuration(new() { [variable] = value })));
        Assert.True(message == e.Message, $"{why}: {e.Message}");
    }

    private static IConfiguration Configuration(Dictionary<string, string?> environment) =>
        new ConfigurationBuilder().AddLifecycleEnvironment(environment).Build();
}
