using System.Runtime.Versioning;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Worker.Configuration;
using Lifecycle.Worker.Provisioning;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Api.Enums.V1;
using Temporalio.Client.Schedules;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// The <c>reconcile-all</c> schedule on temporal-dev (time-skipping), made through the worker's start-up service: created
/// from configuration, untouched by a restart, updated when the interval changes, an operator's pause kept, a trigger
/// and the interval each starting a ReconcileAll pass. Every test deletes the schedule it made (they share one server).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ReconcileScheduleTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    private static readonly TimeSpan RealWorkLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Worker_start_creates_the_schedule_from_configuration_and_a_restart_keeps_an_operators_pause()
    {
        var taskQueue = temporal.NewTaskQueue("lifecycle");
        var handle = temporal.Client.GetScheduleHandle(ReconcileSchedule.Id);
        try
        {
            await StartWorkerAsync(temporal, taskQueue, "00:00:30");
            var created = await handle.DescribeAsync();

            Assert.False(created.Schedule.State.Paused);
            Assert.Equal(TimeSpan.FromSeconds(30), Assert.Single(created.Schedule.Spec.Intervals).Every);
            Assert.Equal(ScheduleOverlapPolicy.Skip, created.Schedule.Policy.Overlap);
            var action = Assert.IsType<ScheduleActionStartWorkflow>(created.Schedule.Action);
            Assert.Equal(("ReconcileAll", taskQueue, ReconcileSchedule.Id), (action.Workflow, action.Options.TaskQueue, action.Options.Id));

            await handle.PauseAsync("operator: database maintenance");
            var paused = await handle.DescribeAsync();
            await StartWorkerAsync(temporal, taskQueue, "00:00:30");
            var restarted = await handle.DescribeAsync();

            Assert.True(restarted.Schedule.State.Paused);
            Assert.Equal("operator: database maintenance", restarted.Schedule.State.Note);
            Assert.Equal(created.Schedule.Spec.Intervals, restarted.Schedule.Spec.Intervals);
            // Same configuration: no update was sent at all, so nothing of the schedule's state was rewritten.
            Assert.Equal(paused.Info.LastUpdatedAt, restarted.Info.LastUpdatedAt);
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task An_interval_change_updates_the_spec_and_keeps_the_pause_and_its_note()
    {
        var taskQueue = temporal.NewTaskQueue("lifecycle");
        var handle = temporal.Client.GetScheduleHandle(ReconcileSchedule.Id);
        try
        {
            await StartWorkerAsync(temporal, taskQueue, "00:01:00");
            await handle.PauseAsync("operator: investigating");

            await StartWorkerAsync(temporal, taskQueue, "00:02:00");
            var described = await handle.DescribeAsync();

            Assert.True(described.Schedule.State.Paused);
            Assert.Equal("operator: investigating", described.Schedule.State.Note);
            Assert.Equal(TimeSpan.FromMinutes(2), Assert.Single(described.Schedule.Spec.Intervals).Every);
            Assert.Equal(ScheduleOverlapPolicy.Skip, described.Schedule.Policy.Overlap);
            Assert.Equal(0, described.Info.NumActions);
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("00:00:00")]
    [InlineData("-00:01:00")]
    public void A_bad_interval_setting_names_the_setting_and_the_value(string value)
    {
        var e = Assert.Throws<InvalidSettingException>(() => ReconcileScheduleService.Interval(Configuration(value)));

        Assert.Equal(LifecycleSettings.ReconcileInterval, e.Setting);
        Assert.Contains("LIFECYCLE_RECONCILE_INTERVAL", e.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{value}\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_interval_setting_means_Coders_one_minute() =>
        Assert.Equal(TimeSpan.FromMinutes(1), ReconcileScheduleService.Interval(new ConfigurationBuilder().Build()));

    [Fact]
    public async Task A_trigger_from_a_client_runs_a_ReconcileAll_pass_even_while_the_schedule_is_paused()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 1);
        var handle = temporal.Client.GetScheduleHandle(ReconcileSchedule.Id);
        await StartWorkerAsync(temporal, kit.TaskQueue, "01:00:00");
        await handle.PauseAsync("operator");
        try
        {
            await kit.RunAsync(async () =>
            {
                await handle.TriggerAsync();
                var workflowId = await FirstActionAsync(handle);
                var pass = temporal.Client.GetWorkflowHandle<ReconcileAllWorkflow, ReconcileAllResult>(workflowId);
                var result = await pass.GetResultAsync();

                Assert.StartsWith(ReconcileSchedule.Id, workflowId, StringComparison.Ordinal);
                Assert.Equal("ReconcileAll", (await pass.DescribeAsync()).WorkflowType);
                Assert.Equal(0, result.Failed);
                Assert.Contains(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(pass));
                Assert.Single(await kit.LiveInstancesAsync(seed, preset));
                Assert.True((await handle.DescribeAsync()).Schedule.State.Paused);
            });
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    internal static IConfiguration Configuration(string interval) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection([new(LifecycleSettings.ReconcileInterval.Key, interval)])
            .Build();

    /// <summary>Waits (in real time: the schedule acts on its own) for the schedule's first action; returns its workflow id.</summary>
    private static async Task<string> FirstActionAsync(ScheduleHandle handle)
    {
        var until = DateTime.UtcNow + RealWorkLimit;
        while (true)
        {
            var described = await handle.DescribeAsync();
            if (described.Info.RecentActions.FirstOrDefault()?.Action is ScheduleActionExecutionStartWorkflow started)
                return started.WorkflowId;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"schedule {handle.Id}: no action after {RealWorkLimit}");
            await Task.Delay(25);
        }
    }

    /// <summary>What the worker does at start: the hosted service with the configured interval and task queue.</summary>
    internal static async Task StartWorkerAsync(TemporalFixture temporal, string taskQueue, string interval)
    {
        var options = new LifecycleOptions
        {
            DataDirectory = Path.GetTempPath(),
            HttpUrl = new Uri("http://localhost:8080"),
            Temporal = new TemporalOptions { Namespace = temporal.Client.Options.Namespace, TaskQueue = taskQueue },
        };
        var service = new ReconcileScheduleService(temporal.Client, options, Configuration(interval), NullLogger<ReconcileScheduleService>.Instance);
        await service.StartAsync(CancellationToken.None);
    }
}
