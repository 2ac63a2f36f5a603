using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Tests.Claims;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>
/// The workspace routes end to end: real HTTP, a real worker running the real Instance workflow (its workspace handlers)
/// and activities on the scripted provider, real PostgreSQL, on time-skipping temporal-dev. Each test claims a ready
/// prebuild through the API and drives the workspace only through the API, reading back through <c>GET</c>. Every
/// workflow a test starts is terminated at the end (a workflow left with a due timer and no worker would hold the
/// time-skipping clock for every later test).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceRoutesWorkflowTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    private ApiWithWorker world = null!;
    private ClaimKit kit = null!;
    private ApiTestHost api = null!;

    public async Task InitializeAsync()
    {
        world = await ApiWithWorker.StartAsync(temporal, database.DataSource);
        (kit, api) = (world.Kit, world.Api);
    }

    public Task DisposeAsync() => world.DisposeAsync().AsTask();

    [Fact]
    public Task Stop_and_start_run_builds_initiated_by_the_owner_or_the_named_user() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var (workspace, owner) = await ClaimedAsync();
            var admin = await kit.UserAsync();

            var stop = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/workspaces/{workspace}/stop", null);

            Assert.True(stop.Status == HttpStatusCode.OK, stop.ToString());
            Assert.Equal(workspace, stop.Id);
            Assert.Equal("workspace", stop.Body.GetProperty("phase").GetString());
            Assert.Equal((3, "stop"), (stop.Body.GetProperty("latest_build").GetProperty("build_number").GetInt32(), stop.Body.GetProperty("latest_build").GetProperty("transition").GetString()));
            var stopped = await SettledAsync(workspace, 3);
            Assert.Equal(("stop", "initiator", owner), Build(stopped));
            Assert.Equal("stopped", stopped.GetProperty("status").GetString());

            var start = await api.PostAsync($"/api/v1/workspaces/{workspace}/start", new { initiator_id = admin });

            Assert.True(start.Status == HttpStatusCode.OK, start.ToString());
            var running = await SettledAsync(workspace, 4);
            Assert.Equal(("start", "initiator", admin), Build(running));
            Assert.Equal("running", running.GetProperty("status").GetString());
        });

    [Fact]
    public Task A_schedule_change_through_the_api_re_plans_a_pending_autostart() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var (workspace, _) = await ClaimedAsync();
            Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/workspaces/{workspace}/stop", null)).Status);
            await SettledAsync(workspace, 3);
            var now = new DateTimeOffset(await temporal.Env.GetCurrentTimeAsync());
            var first = Hourly(now, 2);
            var second = Hourly(now, 4);
            var planned = await api.PutAsync($"/api/v1/workspaces/{workspace}/schedule", new { autostart_schedule = Cron(first) });
            Assert.True(planned.Status == HttpStatusCode.OK, planned.ToString());
            Assert.Equal(first, planned.Body.GetProperty("next_start_at").GetDateTimeOffset());

            var replanned = await api.PutAsync($"/api/v1/workspaces/{workspace}/schedule", new { autostart_schedule = Cron(second), ttl_ms = 3_600_000 });

            Assert.True(replanned.Status == HttpStatusCode.OK, replanned.ToString());
            Assert.Equal(second, replanned.Body.GetProperty("next_start_at").GetDateTimeOffset());
            Assert.Equal(3_600_000, replanned.Body.GetProperty("ttl_ms").GetInt64());
            await NextDueAsync(workspace, second);
            var stored = (await api.GetAsync($"/api/v1/workspaces/{workspace}")).Body;
            Assert.Equal((Cron(second), second), (stored.GetProperty("autostart_schedule").GetString(), stored.GetProperty("next_start_at").GetDateTimeOffset()));

            await AdvanceToAsync(first.AddMinutes(1));
            Assert.Equal(3, (await SettledAsync(workspace, 3)).GetProperty("build_number").GetInt32());

            await AdvanceToAsync(second.AddSeconds(1));
            var autostarted = await SettledAsync(workspace, 4);
            Assert.Equal("start", autostarted.GetProperty("transition").GetString());
            Assert.Equal("autostart", autostarted.GetProperty("reason").GetString());
        });

    [Fact]
    public Task Activity_through_the_api_moves_last_used_at() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var (workspace, owner) = await ClaimedAsync();
            var before = (await api.GetAsync($"/api/v1/workspaces/{workspace}")).Body.GetProperty("last_used_at").GetDateTimeOffset();
            await AdvanceToAsync(new DateTimeOffset(await temporal.Env.GetCurrentTimeAsync()).AddMinutes(10));

            var answer = await api.PostAsync($"/api/v1/workspaces/{workspace}/activity", new { user_id = owner });

            Assert.True(answer.Status == HttpStatusCode.Accepted, answer.ToString());
            var after = await UntilAsync(workspace, w => w.GetProperty("last_used_at").GetDateTimeOffset() > before, "last_used_at to move");
            Assert.True(after.GetProperty("last_used_at").GetDateTimeOffset() >= before.AddMinutes(10), after.ToString());
        });

    [Fact]
    public Task Delete_through_the_api_deletes_the_workspace_and_later_writes_are_404() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var (workspace, _) = await ClaimedAsync();

            var answer = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/workspaces/{workspace}/delete?force=true", null);

            Assert.True(answer.Status == HttpStatusCode.Accepted, answer.ToString());
            var deleted = await UntilAsync(workspace, w => w.GetProperty("deleted").GetBoolean(), "the delete");
            Assert.Equal("deleted", deleted.GetProperty("status").GetString());
            await kit.Handle(workspace).GetResultAsync().WaitAsync(Limit);
            var start = await api.PostAsync($"/api/v1/workspaces/{workspace}/start", null);
            Assert.True(start.Status == HttpStatusCode.NotFound, start.ToString());
        });

    [Fact]
    public Task While_the_workspace_is_being_deleted_the_workflow_refuses_start_stop_and_schedule_with_409() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var (workspace, _) = await ClaimedAsync();
            // Every delete fails, so the workflow stays in its delete backoff for the rest of the test.
            kit.Machines.Control("DELETE_FAIL=-1");

            var delete = await api.PostAsync($"/api/v1/workspaces/{workspace}/delete", null);
            var start = await api.PostAsync($"/api/v1/workspaces/{workspace}/start", null);
            var stop = await api.PostAsync($"/api/v1/workspaces/{workspace}/stop", null);
            var schedule = await api.PutAsync($"/api/v1/workspaces/{workspace}/schedule", new { ttl_ms = 3_600_000 });

            Assert.True(delete.Status == HttpStatusCode.Accepted, delete.ToString());
            foreach (var answer in new[] { start, stop, schedule })
            {
                Assert.True(answer.Status == HttpStatusCode.Conflict, answer.ToString());
                Assert.Equal("id", answer.Field);
                Assert.Contains("deleted", answer.Error, StringComparison.Ordinal);
            }
            var stored = (await api.GetAsync($"/api/v1/workspaces/{workspace}")).Body;
            Assert.Equal(System.Text.Json.JsonValueKind.Null, stored.GetProperty("ttl_ms").ValueKind);
            await kit.Handle(workspace).TerminateAsync("test done: its deletes fail on purpose");
        });

    [Fact]
    public Task Suspending_the_owner_through_the_api_stops_their_running_workspace() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var (workspace, owner) = await ClaimedAsync();

            var answer = await api.PatchAsync($"/api/v1/users/{owner}", new { status = "suspended" });

            Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
            var stopped = await SettledAsync(workspace, 3);
            Assert.Equal("stop", stopped.GetProperty("transition").GetString());
        });

    [Fact]
    public Task A_stop_of_an_unclaimed_prebuild_is_409_and_leaves_it_ready() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            world.Track(prebuild.Id);

            var answer = await api.PostAsync($"/api/v1/workspaces/{prebuild.Id}/stop", null);

            Assert.True(answer.Status == HttpStatusCode.Conflict, answer.ToString());
            var body = (await api.GetAsync($"/api/v1/workspaces/{prebuild.Id}")).Body;
            Assert.True(body.GetProperty("prebuild").GetBoolean());
            Assert.Equal(1, body.GetProperty("latest_build").GetProperty("build_number").GetInt32());
        });

    /// <summary>A ready prebuild claimed through the API by a new user; returns once the claim's start build (#2) succeeded.</summary>
    private async Task<(Guid Workspace, Guid Owner)> ClaimedAsync()
    {
        var prebuild = await kit.PrebuildAsync();
        world.Track(prebuild.Id);
        var owner = await kit.UserAsync();
        var claim = await api.PostAsync("/api/v1/workspaces/claim", new { preset_id = kit.Seed.PresetId, owner_id = owner, name = $"ws-{prebuild.Id:N}"[..12] });
        Assert.True(claim.Status == HttpStatusCode.OK && claim.Id == prebuild.Id, claim.ToString());
        await SettledAsync(prebuild.Id, 2);
        return (prebuild.Id, owner);
    }

    /// <summary>The workspace's latest build once it is build <paramref name="number"/> and has finished.</summary>
    private async Task<JsonElement> SettledAsync(Guid workspace, int number)
    {
        var body = await UntilAsync(
            workspace,
            w => w.GetProperty("latest_build") is { ValueKind: JsonValueKind.Object } b && b.GetProperty("build_number").GetInt32() == number
                && b.GetProperty("status").GetString() is "succeeded" or "failed",
            $"build {number} to finish");
        var build = body.GetProperty("latest_build").Clone();
        return number > 0 && build.GetProperty("status").GetString() == "succeeded" ? Merge(build, body) : throw new InvalidOperationException($"build {number} failed: {body}");
    }

    private async Task<JsonElement> UntilAsync(Guid workspace, Func<JsonElement, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        ApiAnswer? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await api.GetAsync($"/api/v1/workspaces/{workspace}");
            if (last.Status == HttpStatusCode.OK && done(last.Body))
                return last.Body;
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
        throw new TimeoutException($"workspace {workspace}: no {what} within {Limit}; last {last}");
    }

    /// <summary>Waits until the workflow's own plan (its <c>workspace</c> query) next looks at the workspace at <paramref name="at"/>.</summary>
    private async Task NextDueAsync(Guid workspace, DateTimeOffset at)
    {
        var deadline = DateTime.UtcNow + Limit;
        WorkspaceView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            view = await temporal.Client.GetWorkflowHandle(WorkflowIds.Instance(workspace)).QueryAsync<WorkspaceView?>(WorkspaceHandlers.Workspace, []);
            if (view?.NextDueAt == at)
                return;
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
        throw new TimeoutException($"workspace {workspace}: the workflow does not plan to look again at {at:O}; last view {view}");
    }

    private async Task AdvanceToAsync(DateTimeOffset at)
    {
        var delay = at.UtcDateTime - await temporal.Env.GetCurrentTimeAsync();
        if (delay > TimeSpan.Zero)
            await temporal.Env.DelayAsync(delay);
    }

    /// <summary>The build's fields with the workspace's <c>status</c> (the instance status) beside them.</summary>
    private static JsonElement Merge(JsonElement build, JsonElement workspace)
    {
        var fields = build.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        fields["status"] = workspace.GetProperty("status");
        fields["build_status"] = build.GetProperty("status");
        return JsonSerializer.SerializeToElement(fields);
    }

    private static (string?, string?, Guid) Build(JsonElement build) =>
        (build.GetProperty("transition").GetString(), build.GetProperty("reason").GetString(), build.GetProperty("initiator_id").GetGuid());

    /// <summary>The whole hour <paramref name="hours"/> after the hour of <paramref name="now"/> (UTC), so it is 1–2 h ahead or more.</summary>
    private static DateTimeOffset Hourly(DateTimeOffset now, int hours) =>
        new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour + hours), TimeSpan.Zero);

    private static string Cron(DateTimeOffset at) => $"CRON_TZ=UTC {at.Minute} {at.Hour} * * *";
}
