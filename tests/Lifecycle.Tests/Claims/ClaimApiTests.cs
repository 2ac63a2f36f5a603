using System.Net;
using System.Runtime.Versioning;
using Dapper;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Tests.Api;
using Xunit;

namespace Lifecycle.Tests.Claims;

/// <summary>
/// <c>POST /api/v1/workspaces/claim</c> over real HTTP against the API as the host maps it, a real worker on
/// time-skipping temporal-dev and real PostgreSQL: a ready prebuild is handed over (200), none ready makes a fresh
/// workspace with its Instance workflow (201), bad input is a 400 naming the field, no token is a 401.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ClaimApiTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string Path = "/api/v1/workspaces/claim";

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
    public Task A_claim_hands_over_the_ready_prebuild_of_the_preset() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            var owner = await kit.UserAsync();

            var answer = await api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "dev-box", ttl_ms = 3_600_000 });

            Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
            Assert.Equal(prebuild.Id, answer.Id);
            Assert.True(answer.Body.GetProperty("claimed_from_prebuild").GetBoolean());
            Assert.Equal(owner, answer.Body.GetProperty("owner_id").GetGuid());
            Assert.Equal(kit.Seed.PresetId, answer.Body.GetProperty("preset_id").GetGuid());
            Assert.Equal("dev-box", answer.Body.GetProperty("name").GetString());
            Assert.Equal(3_600_000, answer.Body.GetProperty("ttl_ms").GetInt64());
            var row = await kit.RowAsync(prebuild.Id);
            Assert.Equal((owner, "dev-box"), (row.OwnerId, row.Name));
            Assert.Equal(owner, (await kit.Handle(prebuild.Id).QueryAsync(wf => wf.Claimed()))?.OwnerId);
        });

    [Fact]
    public Task With_no_ready_prebuild_a_fresh_workspace_is_created_for_the_owner_with_its_workflow() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var notReady = await kit.PrebuildAsync(makeReady: false);
            var owner = await kit.UserAsync();

            var answer = await api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "fresh-one" });

            Assert.True(answer.Status == HttpStatusCode.Created, answer.ToString());
            Assert.False(answer.Body.GetProperty("claimed_from_prebuild").GetBoolean());
            Assert.NotEqual(notReady.Id, answer.Id);
            var row = await kit.RowAsync(answer.Id);
            Assert.Equal((owner, "fresh-one"), (row.OwnerId, row.Name));
            var builds = await kit.Seed.BuildsAsync(answer.Id);
            var build = Assert.Single(builds);
            Assert.False(build.IsPrebuild);
            var description = await kit.Handle(answer.Id).DescribeAsync();
            Assert.Equal(Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running, description.Status);
            Assert.Equal("Instance", description.WorkflowType);
            Assert.Equal(kit.TaskQueue, description.TaskQueue);
            Assert.Equal(Activities.Store.SystemUsers.PrebuildsUserId, (await kit.RowAsync(notReady.Id)).OwnerId);

            // Spec B16: the request is the preset's miss, recorded with the workspace it made; it was no claim.
            await using var connection = await kit.DataSource.OpenConnectionAsync();
            var events = (await connection.QueryAsync<string>("SELECT kind FROM prebuild_events WHERE preset_id = @preset", new { preset = kit.Seed.PresetId })).ToList();
            Assert.Equal(["claim_missed"], events);
        });

    [Fact]
    public Task Of_two_concurrent_claims_for_one_ready_prebuild_one_gets_it_and_the_other_a_fresh_workspace() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            var (first, second) = (await kit.UserAsync(), await kit.UserAsync());

            var answers = await Task.WhenAll(
                api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = first, name = "race" }),
                api.PostAsync(Path, new { preset_id = kit.Seed.PresetId, owner_id = second, name = "race" }));

            try
            {
                Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Created], answers.Select(a => a.Status).Order());
                var winner = Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
                var loser = Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
                Assert.Equal(prebuild.Id, winner.Id);
                Assert.NotEqual(prebuild.Id, loser.Id);
                Assert.False(loser.Body.GetProperty("claimed_from_prebuild").GetBoolean());
                var owner = winner.Body.GetProperty("owner_id").GetGuid();
                Assert.Equal(owner, (await kit.RowAsync(prebuild.Id)).OwnerId);
                Assert.Equal(owner, (await kit.Handle(prebuild.Id).QueryAsync(wf => wf.Claimed()))?.OwnerId);
                Assert.Equal(first == owner ? second : first, (await kit.RowAsync(loser.Id)).OwnerId);
                Assert.Equal(1, (await kit.RowAsync(prebuild.Id)).ClaimAudits);
            }
            finally
            {
                foreach (var id in answers.Where(a => a.Status is HttpStatusCode.OK or HttpStatusCode.Created).Select(a => a.Id).Append(prebuild.Id).Distinct())
                    await kit.Handle(id).TerminateAsync("test over");
            }
        });

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field_and_changes_nothing()
    {
        var owner = await kit.UserAsync();
        var inactive = Guid.NewGuid();
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO template_versions (id, template_id, name) VALUES (@version, @template, @name);
                INSERT INTO presets (id, template_version_id, name, desired_instances) VALUES (@inactive, @version, 'small', 0);
                """,
                new { version = Guid.NewGuid(), template = kit.Seed.TemplateId, name = $"old-{inactive:N}"[..12], inactive });
        }
        var suspended = await kit.UserAsync("suspended");
        var preset = kit.Seed.PresetId;
        var cases = new (string Case, object Body, string Field)[]
        {
            ("missing preset", new { owner_id = owner, name = "a" }, "preset_id"),
            ("unknown preset", new { preset_id = Guid.NewGuid(), owner_id = owner, name = "a" }, "preset_id"),
            ("preset of a version that is not active", new { preset_id = inactive, owner_id = owner, name = "a" }, "preset_id"),
            ("missing owner", new { preset_id = preset, name = "a" }, "owner_id"),
            ("unknown owner", new { preset_id = preset, owner_id = Guid.NewGuid(), name = "a" }, "owner_id"),
            ("suspended owner", new { preset_id = preset, owner_id = suspended, name = "a" }, "owner_id"),
            ("system owner", new { preset_id = preset, owner_id = Activities.Store.SystemUsers.PrebuildsUserId, name = "a" }, "owner_id"),
            ("blank name", new { preset_id = preset, owner_id = owner, name = " " }, "name"),
            ("name with spaces", new { preset_id = preset, owner_id = owner, name = "my box" }, "name"),
            ("name too long", new { preset_id = preset, owner_id = owner, name = new string('a', 33) }, "name"),
            ("invalid cron", new { preset_id = preset, owner_id = owner, name = "a", autostart_schedule = "every day" }, "autostart_schedule"),
            ("negative ttl", new { preset_id = preset, owner_id = owner, name = "a", ttl_ms = -1 }, "ttl_ms"),
            ("ttl under a minute", new { preset_id = preset, owner_id = owner, name = "a", ttl_ms = 30_000 }, "ttl_ms"),
            ("unknown field", new { preset_id = preset, owner_id = owner, name = "a", size = "xl" }, "size"),
        };
        var before = await WorkspaceCountAsync();

        foreach (var (name, body, field) in cases)
        {
            var answer = await api.PostAsync(Path, body);
            Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{name}: {answer}");
            Assert.True(answer.Field == field, $"{name}: field {answer.Field}, expected {field}: {answer}");
            Assert.False(string.IsNullOrEmpty(answer.Error), name);
        }
        Assert.Equal(before, await WorkspaceCountAsync());
    }

    [Fact]
    public async Task Without_the_token_a_claim_is_a_401_and_changes_nothing()
    {
        var owner = await kit.UserAsync();
        var before = await WorkspaceCountAsync();

        var missing = await api.SendAsync(HttpMethod.Post, Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "x" }, token: null);
        var wrong = await api.SendAsync(HttpMethod.Post, Path, new { preset_id = kit.Seed.PresetId, owner_id = owner, name = "x" }, token: "wrong-token");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (missing.Status, wrong.Status));
        Assert.Equal(before, await WorkspaceCountAsync());
    }

    private async Task<long> WorkspaceCountAsync()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM workspaces");
    }
}
