using System.Runtime.Versioning;
using System.Text.Json;
using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Temporalio.Client;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// Spec A21 / scenario 34 (TestExecutorTaskWorkspace/Autostop + AutostopNotification) on the real Instance workflow: a
/// workspace created for an AI task, 8 h TTL. One second before its deadline nothing; after it one stop build with
/// reason task_auto_pause and exactly one "Task paused" notification with pause_reason "idle timeout".
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceTaskPauseTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(8);

    [Fact]
    public Task S34_a_task_workspaces_autostop_is_a_task_auto_pause_with_one_task_paused_notice() =>
        RunAsync(async kit =>
        {
            var owner = await kit.Claims.UserAsync();
            var task = new WorkspaceTask(Guid.CreateVersion7(), "fix-flaky-test");
            var target = await FreshWorkspaces.ReadTargetAsync(kit.DataSource, kit.Seed.PresetId) ?? throw new InvalidOperationException("no preset");
            var settings = WorkspaceScheduleRequest.ForClaim(DateTimeOffset.UtcNow, null, Ttl, AutomaticUpdates.Never, target.Policy);
            var fresh = await FreshWorkspaces.InsertAsync(kit.DataSource, target, owner, "task-ws", settings, task) ?? throw new InvalidOperationException("name taken");
            kit.Track(fresh.InstanceId);
            var input = new InstanceWorkflowInput(fresh.InstanceId, fresh.InstanceName, fresh.ProviderName, fresh.PresetId, fresh.TemplateId, InstanceWorkflowInput.DefaultBootstrapTimeout, new CreateRetryPolicy());
            var handle = await kit.Temporal.Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new($"instance:{fresh.InstanceId}", kit.Claims.TaskQueue) { StartSignal = "ready" });
            var running = await kit.SettledAsync(fresh.InstanceId, v => v.Deadline is not null, "the workspace phase");
            var made = (await kit.BuildsAsync(fresh.InstanceId))[0].CompletedAt ?? throw new InvalidOperationException("the first build's job has not completed");
            Assert.Equal(made + Ttl, running.Deadline);

            await kit.AdvanceToAsync(running.Deadline!.Value - Second);
            Assert.Equal(1, (await kit.ViewAsync(fresh.InstanceId)).BuildNumber);
            Assert.DoesNotContain(await kit.NoticesAsync(fresh.InstanceId), n => n.Kind == "task_paused");

            await kit.AdvanceToAsync(running.Deadline!.Value + TimeSpan.FromMinutes(1));
            var paused = await kit.SettledAsync(fresh.InstanceId, v => v.BuildNumber == 2, "the task's autopause");
            Assert.Equal((BuildTransition.Stop, BuildReason.TaskAutoPause), (paused.LatestTransition!.Value, paused.LatestReason!.Value));
            var stop = (await kit.BuildsAsync(fresh.InstanceId))[1];
            Assert.Equal(("stop", "task_auto_pause", "succeeded"), (stop.Transition, stop.Reason, stop.JobStatus));
            Assert.True(stop.CreatedAt >= running.Deadline, $"stop built at {stop.CreatedAt:O}, before the deadline {running.Deadline:O}");

            // An hour later still one stop and one notice: the pause is not repeated.
            await kit.AdvanceToAsync(running.Deadline!.Value + TimeSpan.FromHours(1));
            Assert.Equal(2, (await kit.BuildsAsync(fresh.InstanceId)).Count);
            var notice = Assert.Single(await kit.NoticesAsync(fresh.InstanceId), n => n.Kind == "task_paused");
            Assert.Equal(owner, notice.RecipientId);
            Assert.Equal(
                new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["task"] = "fix-flaky-test",
                    ["task_id"] = task.Id.ToString(),
                    ["workspace"] = "task-ws",
                    ["pause_reason"] = "idle timeout",
                },
                JsonSerializer.Deserialize<Dictionary<string, string>>(notice.Labels));
            Assert.Equal(Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running, (await handle.DescribeAsync()).Status);
        });
}
