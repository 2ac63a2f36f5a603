using System.Net;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Temporalio.Client;
using Temporalio.Worker;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>
/// The workspace routes over real HTTP against real PostgreSQL and a real Temporal server, with a stand-in workflow
/// (<see cref="WorkspaceHandlersRecorder"/>) at each workspace's <c>instance:{id}</c>: what each route sends to the
/// workflow, how the workflow's answers and refusals become HTTP, and that refused requests (bad input, unknown ids, an
/// unclaimed prebuild, no token) reach no workflow and change no row. The same routes against the real Instance
/// workflow are in <c>WorkspaceRoutesWorkflowTests</c>.
/// </summary>
public sealed class WorkspacesApiTests(WallClockTemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<WallClockTemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly string[] WriteRoutes = ["POST start", "POST stop", "PUT schedule", "POST delete", "POST activity"];

    private ApiTestHost api = null!;
    private WorkspacesTestKit kit = null!;
    private TemporalWorker worker = null!;

    /// <summary>Bad schedule bodies: (case, template policy, JSON, field named in the 400).</summary>
    public static TheoryData<string, string, string, string> BadSchedules => new()
    {
        { "not a cron", "default", """{"autostart_schedule": "every day at nine"}""", "autostart_schedule" },
        { "a seconds field", "default", """{"autostart_schedule": "0 0 9 * * 1-5"}""", "autostart_schedule" },
        { "a day of month", "default", """{"autostart_schedule": "0 9 1 * *"}""", "autostart_schedule" },
        { "an unknown time zone", "default", """{"autostart_schedule": "CRON_TZ=Mars/Olympus 0 9 * * 1-5"}""", "autostart_schedule" },
        { "a negative ttl", "default", """{"ttl_ms": -1}""", "ttl_ms" },
        { "a ttl under a minute", "default", """{"ttl_ms": 59999}""", "ttl_ms" },
        { "a ttl over 30 days", "default", """{"ttl_ms": 2592060000}""", "ttl_ms" },
        { "a ttl of the wrong type", "default", """{"ttl_ms": "8h"}""", "ttl_ms" },
        { "a ttl the template does not let users set", "no-autostop", """{"ttl_ms": 3600000}""", "ttl_ms" },
        { "autostart the template does not allow", "no-autostart", """{"autostart_schedule": "CRON_TZ=UTC 0 9 * * 1-5"}""", "autostart_schedule" },
        { "unknown automatic updates", "default", """{"automatic_updates": "sometimes"}""", "automatic_updates" },
        { "an unknown initiator", "default", """{"initiator_id": "00000000-0000-0000-0000-00000000beef"}""", "initiator_id" },
        { "an unknown field", "default", """{"ttl_ms": 3600000, "timezone": "UTC"}""", "timezone" },
        { "not JSON", "default", """schedule please""", "body" },
        { "an array", "default", """[]""", "body" },
    };

    /// <summary>The workflow's refusals: (route, failure type, field the workflow names, expected status, expected field).</summary>
    public static TheoryData<string, string, string?, int, string> Refusals => new()
    {
        { "POST start", WorkspaceFailures.Conflict, null, 409, "id" },
        { "POST stop", WorkspaceFailures.Conflict, null, 409, "id" },
        { "POST start", WorkspaceFailures.NotAWorkspace, null, 409, "id" },
        { "PUT schedule", WorkspaceFailures.NotAWorkspace, null, 409, "id" },
        { "PUT schedule", WorkspaceFailures.InvalidRequest, "ttl", 400, "ttl_ms" },
        { "PUT schedule", WorkspaceFailures.InvalidRequest, "autostart_schedule", 400, "autostart_schedule" },
        { "POST start", WorkspaceFailures.InvalidRequest, "owner", 400, "owner" },
        { "POST stop", "SomethingElse", null, 500, "" },
    };

    public async Task InitializeAsync()
    {
        api = await ApiTestHost.StartAsync(database.DataSource, temporal.Client);
        kit = new WorkspacesTestKit(api, database.DataSource, temporal.Client, temporal.NewTaskQueue());
        worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(kit.TaskQueue).AddWorkflow<WorkspaceHandlersRecorder>());
    }

    public async Task DisposeAsync()
    {
        await kit.TerminateAllAsync();
        worker.Dispose();
        await api.DisposeAsync();
    }

    [Fact]
    public Task Start_and_stop_are_updates_initiated_by_the_owner_unless_the_body_names_someone_and_answer_the_workflows_view() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var admin = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);

            var start = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/workspaces/{workspace}/start", null);
            var stop = await api.PostAsync($"/api/v1/workspaces/{workspace}/stop", new { initiator_id = admin });
            var startEmptyObject = await api.PostAsync($"/api/v1/workspaces/{workspace}/start", new { });

            Assert.True(start.Status == HttpStatusCode.OK, start.ToString());
            Assert.Equal(workspace, start.Id);
            Assert.Equal(owner, start.Body.GetProperty("owner_id").GetGuid());
            Assert.Equal("ready", start.Body.GetProperty("phase").GetString());
            Assert.Equal("running", start.Body.GetProperty("status").GetString());
            var build = start.Body.GetProperty("latest_build");
            Assert.Equal(("start", "pending", "initiator"), (build.GetProperty("transition").GetString(), build.GetProperty("status").GetString(), build.GetProperty("reason").GetString()));
            Assert.True(build.GetProperty("deadline").GetDateTimeOffset() > DateTimeOffset.UtcNow);
            Assert.True(stop.Status == HttpStatusCode.OK, stop.ToString());
            Assert.Equal("stop", stop.Body.GetProperty("latest_build").GetProperty("transition").GetString());
            Assert.Equal(HttpStatusCode.OK, startEmptyObject.Status);
            var log = await recorder.QueryAsync(wf => wf.Log);
            Assert.Equal([WorkspaceHandlers.Start, WorkspaceHandlers.Stop, WorkspaceHandlers.Start], log.Updates);
            Assert.Equal([owner, admin, owner], log.Builds.Select(b => b.InitiatorId));
        });

    [Fact]
    public Task A_schedule_change_reaches_the_workflow_checked_canonical_and_in_whole_minutes() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);

            var set = await api.PutAsync($"/api/v1/workspaces/{workspace}/schedule", new { autostart_schedule = "CRON_TZ=Europe/Berlin  30 8  * * 1-5", ttl_ms = 5_430_500, automatic_updates = "always" });
            var cleared = await api.PutAsync($"/api/v1/workspaces/{workspace}/schedule", new { ttl_ms = 0 });

            Assert.True(set.Status == HttpStatusCode.OK, set.ToString());
            Assert.Equal("CRON_TZ=Europe/Berlin 30 8 * * 1-5", set.Body.GetProperty("autostart_schedule").GetString());
            Assert.Equal(5_400_000, set.Body.GetProperty("ttl_ms").GetInt64());
            Assert.True(cleared.Status == HttpStatusCode.OK, cleared.ToString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.Body.GetProperty("ttl_ms").ValueKind);
            var log = await recorder.QueryAsync(wf => wf.Log);
            Assert.Equal(
                [
                    new WorkspaceScheduleChange("CRON_TZ=Europe/Berlin 30 8 * * 1-5", TimeSpan.FromMinutes(90), Workflows.Workspaces.AutomaticUpdates.Always, owner),
                    new WorkspaceScheduleChange(null, null, null, owner),
                ],
                log.Schedules);
        });

    [Fact]
    public Task Delete_and_activity_are_signals_answered_202() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);

            var activity = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/workspaces/{workspace}/activity", null);
            var activityByUser = await api.PostAsync($"/api/v1/workspaces/{workspace}/activity", new { user_id = owner });
            var delete = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/workspaces/{workspace}/delete", null);
            var forced = await api.PostAsync($"/api/v1/workspaces/{workspace}/delete?force=true", new { reason = "machine is wedged" });

            Assert.Equal(
                [HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted],
                new[] { activity.Status, activityByUser.Status, delete.Status, forced.Status });
            Assert.True(forced.Body.GetProperty("force").GetBoolean());
            var log = await EventuallyAsync(recorder, l => l.Deletes.Count == 2 && l.Activities.Count == 2);
            Assert.Equal([new WorkspaceActivity(null), new WorkspaceActivity(owner)], log.Activities);
            Assert.Equal([new DeleteInstanceRequest(false, "deleted through the API"), new DeleteInstanceRequest(true, "machine is wedged")], log.Deletes);
            Assert.Empty(log.Updates);
        });

    [Theory]
    [MemberData(nameof(Refusals))]
    public Task The_workflows_refusals_become_400_naming_the_field_409_or_500(string route, string failure, string? workflowField, int status, string field) =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            await kit.RecorderAsync(workspace, owner, failure, workflowField);

            var answer = await SendAsync(route, workspace, route.EndsWith("schedule", StringComparison.Ordinal) ? """{"ttl_ms": 3600000}""" : null);

            Assert.True((int)answer.Status == status, answer.ToString());
            Assert.Equal(field.Length == 0 ? null : field, answer.Field);
            Assert.Contains("refused as scripted", answer.Error, StringComparison.Ordinal);
            if (status == 400)
                Assert.Equal($"{field}: workspace {workspace}: refused as scripted", answer.Error);
        });

    [Theory]
    [MemberData(nameof(BadSchedules))]
    public Task Bad_schedule_input_is_a_400_naming_the_field_that_reaches_no_workflow_and_writes_nothing(string rule, string policy, string json, string field) =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync(policy switch
            {
                "no-autostop" => new { allow_user_autostop = false, default_ttl_ms = 28_800_000 },
                "no-autostart" => new { allow_user_autostart = false },
                _ => null,
            });
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);
            var before = await kit.FingerprintAsync();

            var answer = await api.SendRawAsync(HttpMethod.Put, $"/api/v1/workspaces/{workspace}/schedule", json);

            Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{rule}: {answer}");
            Assert.True(answer.Field == field, $"{rule}: field {answer.Field}, expected {field}: {answer}");
            Assert.StartsWith($"{field}: ", answer.Error, StringComparison.Ordinal);
            Assert.Empty((await recorder.QueryAsync(wf => wf.Log)).Updates);
            Assert.Equal(before, await kit.FingerprintAsync());
        });

    [Fact]
    public Task What_a_template_lets_users_set_is_still_accepted_there() =>
        worker.ExecuteAsync(async () =>
        {
            var noAutostop = await kit.TemplateAsync(new { allow_user_autostop = false, default_ttl_ms = 28_800_000 });
            var noAutostart = await kit.TemplateAsync(new { allow_user_autostart = false });
            var owner = await kit.UserAsync();
            var first = await kit.WorkspaceAsync(noAutostop, owner);
            var second = await kit.WorkspaceAsync(noAutostart, owner);
            await kit.RecorderAsync(first, owner);
            await kit.RecorderAsync(second, owner);

            var scheduleWithoutTtl = await api.PutAsync($"/api/v1/workspaces/{first}/schedule", new { autostart_schedule = "CRON_TZ=UTC 0 9 * * 1-5" });
            var ttlWithoutSchedule = await api.PutAsync($"/api/v1/workspaces/{second}/schedule", new { ttl_ms = 3_600_000 });

            Assert.True(scheduleWithoutTtl.Status == HttpStatusCode.OK, scheduleWithoutTtl.ToString());
            Assert.True(ttlWithoutSchedule.Status == HttpStatusCode.OK, ttlWithoutSchedule.ToString());
        });

    [Fact]
    public Task Other_bad_input_is_a_400_naming_the_field_and_reaches_no_workflow() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);
            var stranger = Guid.NewGuid();
            var cases = new (string Case, HttpMethod Method, string Path, string? Json, string Field)[]
            {
                ("start by an unknown initiator", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/start", $$"""{"initiator_id": "{{stranger}}"}""", "initiator_id"),
                ("stop with an unknown field", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/stop", """{"graceful": true}""", "graceful"),
                ("stop with a malformed initiator", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/stop", """{"initiator_id": "bob"}""", "initiator_id"),
                ("delete with a bad force", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/delete?force=maybe", null, "force"),
                ("delete with a body that is not an object", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/delete", "\"now\"", "body"),
                ("activity by an unknown user", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/activity", $$"""{"user_id": "{{stranger}}"}""", "user_id"),
                ("activity that is not JSON", HttpMethod.Post, $"/api/v1/workspaces/{workspace}/activity", "{", "body"),
                ("get with a malformed id", HttpMethod.Get, "/api/v1/workspaces/not-a-uuid", null, "id"),
            };
            var malformedIds = WriteRoutes.Select(r => ($"{r} with a malformed id", Method(r), Path(r, "12345"), (string?)"{}", "id"));
            var before = await kit.FingerprintAsync();

            foreach (var (name, method, path, json, field) in cases.Concat(malformedIds))
            {
                var answer = await api.SendRawAsync(method, path, json);
                Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{name}: {answer}");
                Assert.True(answer.Field == field, $"{name}: field {answer.Field}, expected {field}: {answer}");
            }
            var log = await recorder.QueryAsync(wf => wf.Log);
            Assert.Equal((0, 0, 0), (log.Updates.Count, log.Activities.Count, log.Deletes.Count));
            Assert.Equal(before, await kit.FingerprintAsync());
        });

    [Fact]
    public async Task Unknown_and_deleted_workspaces_are_404_on_every_write_and_unknown_ones_on_get()
    {
        var template = await kit.TemplateAsync();
        var owner = await kit.UserAsync();
        var deleted = await kit.WorkspaceAsync(template, owner, deleted: true);
        var unknown = Guid.NewGuid();
        var before = await kit.FingerprintAsync();

        var get = await api.GetAsync($"/api/v1/workspaces/{unknown}");
        var getDeleted = await api.GetAsync($"/api/v1/workspaces/{deleted}");

        Assert.True(get.Status == HttpStatusCode.NotFound, get.ToString());
        Assert.Contains(unknown.ToString(), get.Error, StringComparison.Ordinal);
        Assert.True(getDeleted.Status == HttpStatusCode.OK, getDeleted.ToString());
        Assert.True(getDeleted.Body.GetProperty("deleted").GetBoolean());
        foreach (var route in WriteRoutes)
        {
            foreach (var id in new[] { unknown, deleted })
            {
                var answer = await SendAsync(route, id, route.EndsWith("schedule", StringComparison.Ordinal) ? "{}" : null);
                Assert.True(answer.Status == HttpStatusCode.NotFound, $"{route} {id}: {answer}");
                Assert.Contains(id.ToString(), answer.Error, StringComparison.Ordinal);
            }
        }
        Assert.Equal(before, await kit.FingerprintAsync());
    }

    [Fact]
    public Task A_workspace_whose_workflow_has_ended_is_404_on_every_write() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);
            await recorder.SignalAsync(wf => wf.FinishAsync());
            await recorder.GetResultAsync();

            foreach (var route in WriteRoutes)
            {
                var answer = await SendAsync(route, workspace, route.EndsWith("schedule", StringComparison.Ordinal) ? "{}" : null);
                Assert.True(answer.Status == HttpStatusCode.NotFound, $"{route}: {answer}");
                Assert.Contains("no running workflow", answer.Error, StringComparison.Ordinal);
            }
        });

    [Fact]
    public Task Every_write_to_an_unclaimed_prebuild_is_409_reaches_no_workflow_and_changes_nothing() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var prebuild = await kit.WorkspaceAsync(template, owner: null);
            var recorder = await kit.RecorderAsync(prebuild, SystemUsers.PrebuildsUserId);
            var before = await kit.FingerprintAsync();

            var get = await api.GetAsync($"/api/v1/workspaces/{prebuild}");
            foreach (var route in WriteRoutes)
            {
                var answer = await SendAsync(route, prebuild, route.EndsWith("schedule", StringComparison.Ordinal) ? """{"ttl_ms": 3600000}""" : null);
                Assert.True(answer.Status == HttpStatusCode.Conflict, $"{route}: {answer}");
                Assert.Equal("id", answer.Field);
                Assert.Contains("unclaimed prebuild", answer.Error, StringComparison.Ordinal);
            }

            Assert.True(get.Status == HttpStatusCode.OK, get.ToString());
            Assert.True(get.Body.GetProperty("prebuild").GetBoolean());
            var log = await recorder.QueryAsync(wf => wf.Log);
            Assert.Equal((0, 0, 0), (log.Updates.Count, log.Activities.Count, log.Deletes.Count));
            Assert.Equal(before, await kit.FingerprintAsync());
        });

    [Fact]
    public Task Without_the_token_every_workspace_route_is_401_reaches_no_workflow_and_changes_nothing() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var workspace = await kit.WorkspaceAsync(template, owner);
            var recorder = await kit.RecorderAsync(workspace, owner);
            var create = $$"""{"preset_id": "{{template.PresetId}}", "owner_id": "{{owner}}", "name": "sneaky"}""";
            var routes = new (HttpMethod Method, string Path, string? Json)[]
            {
                (HttpMethod.Post, "/api/v1/workspaces", create),
                (HttpMethod.Post, "/api/v1/workspaces/claim", create),
                (HttpMethod.Get, $"/api/v1/workspaces/{workspace}", null),
                (HttpMethod.Patch, $"/api/v1/users/{owner}", """{"status": "suspended"}"""),
            };
            var writes = WriteRoutes.Select(r => (Method(r), Path(r, workspace.ToString()), (string?)"""{"ttl_ms": 3600000}"""));
            var before = await kit.FingerprintAsync();

            foreach (var (method, path, json) in routes.Concat(writes))
            {
                foreach (var token in new[] { null, "wrong-token-0123456789abcdef" })
                {
                    var answer = await api.SendRawAsync(method, path + (path.EndsWith("delete", StringComparison.Ordinal) ? "?force=true" : string.Empty), json, token);
                    Assert.True(answer.Status == HttpStatusCode.Unauthorized, $"{method} {path} with token \"{token}\": {answer}");
                    Assert.Equal("Authorization", answer.Field);
                }
            }

            var log = await recorder.QueryAsync(wf => wf.Log);
            Assert.Equal((0, 0, 0, 0), (log.Updates.Count, log.Activities.Count, log.Deletes.Count, log.OwnerStatusChanged));
            Assert.Equal(before, await kit.FingerprintAsync());
        });

    [Fact]
    public Task A_users_status_change_signals_owner_status_changed_once_to_each_of_their_live_workspaces_only() =>
        worker.ExecuteAsync(async () =>
        {
            var template = await kit.TemplateAsync();
            var owner = await kit.UserAsync();
            var neighbour = await kit.UserAsync();
            var first = await kit.RecorderAsync(await kit.WorkspaceAsync(template, owner), owner);
            var second = await kit.RecorderAsync(await kit.WorkspaceAsync(template, owner), owner);
            var deleted = await kit.RecorderAsync(await kit.WorkspaceAsync(template, owner, deleted: true), owner);
            var neighbours = await kit.RecorderAsync(await kit.WorkspaceAsync(template, neighbour), neighbour);
            var prebuild = await kit.RecorderAsync(await kit.WorkspaceAsync(template, owner: null), SystemUsers.PrebuildsUserId);

            var suspend = await api.PatchAsync($"/api/v1/users/{owner}", new { status = "suspended" });
            var rolesOnly = await api.PatchAsync($"/api/v1/users/{owner}", new { roles = new[] { "auditor" } });
            // A later real change is signalled too: when each live workspace then counts exactly 2, the roles-only PATCH sent nothing.
            var quietHours = await api.PatchAsync($"/api/v1/users/{owner}", new { quiet_hours_schedule = "CRON_TZ=Europe/Berlin 0 3 * * *" });

            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (suspend.Status, rolesOnly.Status, quietHours.Status));
            Assert.Equal(2, (await EventuallyAsync(first, l => l.OwnerStatusChanged >= 2)).OwnerStatusChanged);
            Assert.Equal(2, (await EventuallyAsync(second, l => l.OwnerStatusChanged >= 2)).OwnerStatusChanged);
            foreach (var untouched in new[] { deleted, neighbours, prebuild })
                Assert.Equal(0, (await untouched.QueryAsync(wf => wf.Log)).OwnerStatusChanged);
            Assert.Equal(0, (await first.QueryAsync(wf => wf.Log)).TemplatePolicyChanged);
        });

    [Fact]
    public async Task Get_shows_the_workspace_with_its_latest_build_from_the_store()
    {
        var template = await kit.TemplateAsync();
        var owner = await kit.UserAsync();
        var workspace = await new Reconciliation.PrebuildSeed(database.DataSource, template.OrganizationId, template.TemplateId, template.VersionId)
            .InstanceAsync(template.PresetId, [new Reconciliation.SeedBuild("start", Reconciliation.Job.Succeeded), new Reconciliation.SeedBuild("stop", Reconciliation.Job.Failed)], owner: owner, instanceStatus: "stopped");
        var deadline = new DateTimeOffset(2030, 1, 7, 17, 30, 0, TimeSpan.Zero);
        await ApiRows.ExecuteAsync(
            database.DataSource,
            """
            UPDATE workspaces SET name = 'dev-box', autostart_schedule = 'CRON_TZ=UTC 0 9 * * 1-5', ttl = interval '2 hours', dormant_at = now() WHERE id = @workspace;
            UPDATE workspace_builds SET deadline = @deadline, max_deadline = @deadline, reason = 'autostop' WHERE workspace_id = @workspace AND build_number = 2;
            """,
            new { workspace, deadline });

        var answer = await api.GetAsync($"/api/v1/workspaces/{workspace}");

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        var body = answer.Body;
        Assert.Equal((workspace, "dev-box", owner, template.TemplateId, template.PresetId), (answer.Id, body.GetProperty("name").GetString(), body.GetProperty("owner_id").GetGuid(), body.GetProperty("template_id").GetGuid(), body.GetProperty("preset_id").GetGuid()));
        Assert.Equal(("stopped", "CRON_TZ=UTC 0 9 * * 1-5", 7_200_000L), (body.GetProperty("status").GetString(), body.GetProperty("autostart_schedule").GetString(), body.GetProperty("ttl_ms").GetInt64()));
        Assert.False(body.GetProperty("prebuild").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.String, body.GetProperty("dormant_at").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("deleting_at").ValueKind);
        var build = body.GetProperty("latest_build");
        Assert.Equal((2, "stop", "failed", "autostop"), (build.GetProperty("build_number").GetInt32(), build.GetProperty("transition").GetString(), build.GetProperty("status").GetString(), build.GetProperty("reason").GetString()));
        Assert.Equal(deadline, build.GetProperty("deadline").GetDateTimeOffset());
        Assert.Equal(deadline, build.GetProperty("max_deadline").GetDateTimeOffset());
        Assert.Equal("provider failed", build.GetProperty("error").GetString());
    }

    private static HttpMethod Method(string route) => new(route.Split(' ')[0]);

    private static string Path(string route, string id) => $"/api/v1/workspaces/{id}/{route.Split(' ')[1]}";

    private Task<ApiAnswer> SendAsync(string route, Guid id, string? json) => api.SendRawAsync(Method(route), Path(route, id.ToString()), json);

    private static async Task<RecorderLog> EventuallyAsync(WorkflowHandle<WorkspaceHandlersRecorder> recorder, Func<RecorderLog, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var log = await recorder.QueryAsync(wf => wf.Log);
        while (!done(log) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            log = await recorder.QueryAsync(wf => wf.Log);
        }
        return log;
    }
}
