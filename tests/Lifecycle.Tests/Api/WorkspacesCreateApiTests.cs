using System.Net;
using System.Runtime.Versioning;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Tests.Claims;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>
/// <c>POST /api/v1/workspaces</c> over real HTTP with a real worker (the Instance workflow and its activities on the
/// scripted provider) and real PostgreSQL: a workspace is always made fresh for its owner — even when a ready prebuild
/// of the preset waits — with its Instance workflow started; bad input is a 400 naming the field and writes nothing.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspacesCreateApiTests(WallClockTemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<WallClockTemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string Path = "/api/v1/workspaces";

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
    public Task A_workspace_is_made_fresh_for_the_owner_with_its_workflow_even_when_a_prebuild_is_ready() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            world.Track(prebuild.Id);
            var owner = await kit.UserAsync();

            var (answer, location) = await CreateAsync(new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "fresh-box", autostart_schedule = "CRON_TZ=Europe/Berlin 0 9 * * 1-5", ttl_ms = 7_230_000 });

            Assert.True(answer.Status == HttpStatusCode.Created, answer.ToString());
            world.Track(answer.Id);
            Assert.Equal($"{Path}/{answer.Id}", location);
            Assert.NotEqual(prebuild.Id, answer.Id);
            var body = answer.Body;
            Assert.Equal((owner, "fresh-box", kit.Seed.PresetId, kit.Seed.TemplateId), (body.GetProperty("owner_id").GetGuid(), body.GetProperty("name").GetString(), body.GetProperty("preset_id").GetGuid(), body.GetProperty("template_id").GetGuid()));
            Assert.Equal(("CRON_TZ=Europe/Berlin 0 9 * * 1-5", 7_200_000L), (body.GetProperty("autostart_schedule").GetString(), body.GetProperty("ttl_ms").GetInt64()));
            Assert.True(body.GetProperty("next_start_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
            Assert.False(body.GetProperty("prebuild").GetBoolean());
            var build = body.GetProperty("latest_build");
            Assert.Equal((1, "start", "initiator", owner), (build.GetProperty("build_number").GetInt32(), build.GetProperty("transition").GetString(), build.GetProperty("reason").GetString(), build.GetProperty("initiator_id").GetGuid()));
            var row = await kit.RowAsync(answer.Id);
            Assert.Equal((owner, "fresh-box", TimeSpan.FromMinutes(120)), (row.OwnerId, row.Name, row.Ttl));
            Assert.False(Assert.Single(await kit.Seed.BuildsAsync(answer.Id)).IsPrebuild);
            var description = await kit.Handle(answer.Id).DescribeAsync();
            Assert.Equal((Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running, "Instance", kit.TaskQueue), (description.Status, description.WorkflowType, description.TaskQueue));
            Assert.Equal(SystemUsers.PrebuildsUserId, (await kit.RowAsync(prebuild.Id)).OwnerId);
            var got = await api.GetAsync($"{Path}/{answer.Id}");
            Assert.Equal(answer.Id, got.Id);
            Assert.Equal((owner, "fresh-box"), (got.Body.GetProperty("owner_id").GetGuid(), got.Body.GetProperty("name").GetString()));
        });

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field_and_writes_nothing()
    {
        var owner = await kit.UserAsync();
        var suspended = await kit.UserAsync("suspended");
        var preset = kit.Seed.PresetId;
        var stale = await new Reconciliation.PrebuildSeed(database.DataSource, kit.Seed.OrganizationId, kit.Seed.TemplateId, kit.Seed.VersionId).VersionAsync(activate: false);
        var stalePreset = await new Reconciliation.PrebuildSeed(database.DataSource, kit.Seed.OrganizationId, kit.Seed.TemplateId, kit.Seed.VersionId).PresetAsync(0, stale);
        var cases = new (string Case, string Json, string Field)[]
        {
            ("missing preset", $$"""{"owner_id": "{{owner}}", "name": "a"}""", "preset_id"),
            ("unknown preset", $$"""{"preset_id": "{{Guid.NewGuid()}}", "owner_id": "{{owner}}", "name": "a"}""", "preset_id"),
            ("preset of an inactive version", $$"""{"preset_id": "{{stalePreset}}", "owner_id": "{{owner}}", "name": "a"}""", "preset_id"),
            ("malformed preset", $$"""{"preset_id": "small", "owner_id": "{{owner}}", "name": "a"}""", "preset_id"),
            ("missing owner", $$"""{"preset_id": "{{preset}}", "name": "a"}""", "owner_id"),
            ("unknown owner", $$"""{"preset_id": "{{preset}}", "owner_id": "{{Guid.NewGuid()}}", "name": "a"}""", "owner_id"),
            ("suspended owner", $$"""{"preset_id": "{{preset}}", "owner_id": "{{suspended}}", "name": "a"}""", "owner_id"),
            ("system owner", $$"""{"preset_id": "{{preset}}", "owner_id": "{{SystemUsers.PrebuildsUserId}}", "name": "a"}""", "owner_id"),
            ("blank name", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": " "}""", "name"),
            ("name with a double hyphen", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "my--box"}""", "name"),
            ("name too long", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "{{new string('a', 33)}}"}""", "name"),
            ("invalid cron", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "autostart_schedule": "every day"}""", "autostart_schedule"),
            ("cron in an unknown zone", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "autostart_schedule": "CRON_TZ=Nowhere/Land 0 9 * * *"}""", "autostart_schedule"),
            ("negative ttl", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "ttl_ms": -1}""", "ttl_ms"),
            ("ttl under a minute", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "ttl_ms": 30000}""", "ttl_ms"),
            ("ttl over 30 days", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "ttl_ms": 2592060000}""", "ttl_ms"),
            ("unknown field", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "size": "xl"}""", "size"),
            ("task name without a task id", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "task_name": "fix-it"}""", "task_id"),
            ("task id without a task name", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "task_id": "{{Guid.NewGuid()}}"}""", "task_name"),
            ("empty task id", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "task_id": "{{Guid.Empty}}", "task_name": "fix-it"}""", "task_id"),
            ("malformed task id", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "task_id": "task-7", "task_name": "fix-it"}""", "task_id"),
            ("blank task name", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "task_id": "{{Guid.NewGuid()}}", "task_name": "  "}""", "task_name"),
            ("task name too long", $$"""{"preset_id": "{{preset}}", "owner_id": "{{owner}}", "name": "a", "task_id": "{{Guid.NewGuid()}}", "task_name": "{{new string('t', 65)}}"}""", "task_name"),
            ("not JSON", "preset please", "body"),
            ("empty body", "", "body"),
        };
        var before = await FingerprintAsync();

        foreach (var (name, json, field) in cases)
        {
            var answer = await api.SendRawAsync(HttpMethod.Post, Path, json);
            Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{name}: {answer}");
            Assert.True(answer.Field == field, $"{name}: field {answer.Field}, expected {field}: {answer}");
            Assert.False(string.IsNullOrEmpty(answer.Error), name);
        }
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public Task A_workspace_created_for_an_ai_task_is_linked_to_it_and_a_second_live_workspace_for_the_task_is_409() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var owner = await kit.UserAsync();
            var taskId = Guid.NewGuid();

            var (answer, _) = await CreateAsync(new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "task-box", task_id = taskId, task_name = " fix-flaky-test " });

            Assert.True(answer.Status == HttpStatusCode.Created, answer.ToString());
            world.Track(answer.Id);
            Assert.Equal((taskId, "fix-flaky-test"), (answer.Body.GetProperty("task_id").GetGuid(), answer.Body.GetProperty("task_name").GetString()));
            Assert.Equal(
                $"{taskId} fix-flaky-test",
                await ApiRows.ScalarAsync<string>(database.DataSource, "SELECT concat_ws(' ', task_id, task_name) FROM workspaces WHERE id = @id", new { id = answer.Id }));
            var got = await api.GetAsync($"{Path}/{answer.Id}");
            Assert.Equal(taskId, got.Body.GetProperty("task_id").GetGuid());

            var ordinary = await api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "plain-box" });
            Assert.True(ordinary.Status == HttpStatusCode.Created, ordinary.ToString());
            world.Track(ordinary.Id);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, ordinary.Body.GetProperty("task_id").ValueKind);

            var before = await OwnedAsync(owner);
            var again = await api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "task-box-2", task_id = taskId, task_name = "fix-flaky-test" });
            Assert.True(again.Status == HttpStatusCode.Conflict, again.ToString());
            Assert.Equal("task_id", again.Field);
            Assert.Equal(before, await OwnedAsync(owner));
        });

    [Fact]
    public async Task A_claim_cannot_link_an_ai_task_and_is_a_400_naming_task_id()
    {
        var owner = await kit.UserAsync();
        var before = await FingerprintAsync();
        var answer = await api.PostAsync($"{Path}/claim", new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "task-claim", task_id = Guid.NewGuid(), task_name = "fix-it" });
        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.Equal("task_id", answer.Field);
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public Task A_name_the_owner_already_has_is_a_409_and_writes_nothing() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var owner = await kit.UserAsync();
            var first = await api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "twin" });
            Assert.True(first.Status == HttpStatusCode.Created, first.ToString());
            world.Track(first.Id);
            var before = await OwnedAsync(owner);

            var second = await api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "TWIN" });

            Assert.True(second.Status == HttpStatusCode.Conflict, second.ToString());
            Assert.Equal("name", second.Field);
            // The first workspace's workflow keeps writing its own rows; nothing new may appear for the owner.
            Assert.Equal(before, await OwnedAsync(owner));
        });

    /// <summary>POSTs the body and returns the answer with its Location header.</summary>
    private async Task<(ApiAnswer Answer, string? Location)> CreateAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = System.Net.Http.Json.JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", ApiTestHost.Token);
        using var response = await api.Http.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        var parsed = System.Text.Json.JsonDocument.Parse(raw).RootElement.Clone();
        return (new ApiAnswer(response.StatusCode, parsed, raw), response.Headers.Location?.OriginalString);
    }

    private Task<string> OwnedAsync(Guid owner) => ApiRows.ScalarAsync<string>(
        database.DataSource,
        """
        SELECT concat_ws(' ', (SELECT count(*) FROM workspaces WHERE owner_id = @owner), (SELECT count(*) FROM provisioner_jobs WHERE initiator_id = @owner),
                         (SELECT count(*) FROM audit_log WHERE user_id = @owner AND action = 'create'))
        """,
        new { owner });

    private Task<string> FingerprintAsync() => new WorkspacesTestKit(api, database.DataSource, temporal.Client, kit.TaskQueue).FingerprintAsync();
}
