using System.Net;
using System.Text.Json;
using Lifecycle.Testing.Postgres;
using Lifecycle.Tests.Reconciliation;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary><c>GET /api/v1/presets/{id}</c> (live state from the reconciler's own snapshot and decision code) and the reset.</summary>
public sealed class PresetsApiTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task A_preset_shows_desired_actual_eligible_starting_and_deleting_as_the_reconciler_sees_them()
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (version, preset) = await api.VersionAsync(template, desired: 3);
        var seed = new PrebuildSeed(database.DataSource, org, template, version);
        await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: true);
        await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: false);
        await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Running)]);
        await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded), new SeedBuild("delete", Job.Pending)]);

        var answer = await api.GetAsync($"/api/v1/presets/{preset}");

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        var p = answer.Body;
        Assert.Equal(3, p.GetProperty("desired").GetInt32());
        Assert.Equal(2, p.GetProperty("actual").GetInt32());
        Assert.Equal(1, p.GetProperty("eligible").GetInt32());
        Assert.Equal(1, p.GetProperty("starting").GetInt32());
        Assert.Equal(1, p.GetProperty("deleting").GetInt32());
        Assert.Equal("healthy", p.GetProperty("status").GetString());
        Assert.False(p.GetProperty("hard_limited").GetBoolean());
        Assert.True(p.GetProperty("active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("backoff_until").ValueKind);
        Assert.Equal(template, p.GetProperty("template_id").GetGuid());
        Assert.Equal("2", p.GetProperty("parameters").GetProperty("cpu").GetString());
    }

    [Theory]
    [InlineData("expression", "running + 2", 3, "expression", null)]
    [InlineData("evaluation error", "running / 0", 4, "expression_fallback", "target_expression: division by zero at 9")]
    [InlineData("no expression", null, 4, "default", null)]
    public async Task A_preset_shows_what_set_its_desired_count_and_the_expression_error(string name, string? expression, int desired, string source, string? error)
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var answer = await api.PostAsync($"/api/v1/templates/{template}/versions", new
        {
            name = "v",
            activate = true,
            presets = new[] { new { name = "p", desired_instances = 4, scheduling_timezone = "UTC", target_expression = expression } },
        });
        Assert.True(answer.Status == HttpStatusCode.Created, $"{name}: {answer}");
        var preset = answer.Body.GetProperty("presets")[0].GetProperty("id").GetGuid();
        var seed = new PrebuildSeed(database.DataSource, org, template, answer.Id);
        await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded)], ready: true);
        await ApiRows.ExecuteAsync(database.DataSource, "INSERT INTO prebuild_events (preset_id, kind) VALUES (@preset, 'claim_missed')", new { preset });

        var p = (await api.GetAsync($"/api/v1/presets/{preset}")).Body;

        Assert.Equal(desired, p.GetProperty("desired").GetInt32());
        Assert.Equal(source, p.GetProperty("desired_source").GetString());
        Assert.Equal(error, p.GetProperty("expression_error").GetString());
        Assert.Equal(expression, p.GetProperty("target_expression").GetString());
        if (expression is null)
            Assert.Equal(JsonValueKind.Null, p.GetProperty("claim_windows").ValueKind);
        else
            Assert.Equal(1, p.GetProperty("claim_windows").GetProperty("misses_5m").GetInt32());
    }

    [Fact]
    public async Task A_failed_creation_shows_the_backoff_until_time()
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (version, preset) = await api.VersionAsync(template, desired: 2);
        var failedAt = DateTimeOffset.UtcNow.AddSeconds(-2);
        await new PrebuildSeed(database.DataSource, org, template, version).InstanceAsync(preset, [new SeedBuild("start", Job.Failed, failedAt)], createdAt: failedAt);

        var p = (await api.GetAsync($"/api/v1/presets/{preset}")).Body;

        // One failure, 15 s default interval: back off until the failed attempt + 15 s.
        var until = p.GetProperty("backoff_until").GetDateTimeOffset();
        Assert.InRange((until - failedAt).TotalMilliseconds, 14_999, 15_001);
        Assert.Equal(0, p.GetProperty("actual").GetInt32());
    }

    [Fact]
    public async Task Reset_clears_hard_limited_records_the_reset_time_and_an_audit_entry()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        var (_, preset) = await api.VersionAsync(template);
        await ApiRows.ExecuteAsync(database.DataSource, "UPDATE presets SET prebuild_status = 'hard_limited' WHERE id = @preset", new { preset });
        Assert.True((await api.GetAsync($"/api/v1/presets/{preset}")).Body.GetProperty("hard_limited").GetBoolean());

        var answer = await api.PostAsync($"/api/v1/presets/{preset}/reset", null);

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.True(answer.Body.GetProperty("was_hard_limited").GetBoolean());
        Assert.False(answer.Body.GetProperty("preset").GetProperty("hard_limited").GetBoolean());
        Assert.Equal("healthy", await ApiRows.ScalarAsync<string>(database.DataSource, "SELECT prebuild_status FROM presets WHERE id = @preset", new { preset }));
        Assert.NotNull(await ApiRows.ScalarAsync<DateTime?>(database.DataSource, "SELECT failure_limit_reset_at FROM presets WHERE id = @preset", new { preset }));
        Assert.Equal(1L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM audit_log WHERE action = 'reset' AND resource_type = 'preset' AND resource_id = @preset", new { preset }));
    }

    [Fact]
    public async Task Invalidate_expires_the_prebuilds_made_before_it_and_the_next_pass_replaces_them()
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (version, preset) = await api.VersionAsync(template, desired: 2);
        var seed = new PrebuildSeed(database.DataSource, org, template, version);
        var made = DateTimeOffset.UtcNow.AddMinutes(-5);
        var old1 = await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded, made)], createdAt: made, ready: true);
        var old2 = await seed.InstanceAsync(preset, [new SeedBuild("start", Job.Succeeded, made)], createdAt: made.AddSeconds(1), ready: true);
        Assert.Equal(0, (await api.GetAsync($"/api/v1/presets/{preset}")).Body.GetProperty("expired").GetInt32());

        var answer = await api.PostAsync($"/api/v1/presets/{preset}/invalidate", null);

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.Equal(2, answer.Body.GetProperty("expired").GetInt32());
        Assert.Equal(0, answer.Body.GetProperty("eligible").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, answer.Body.GetProperty("last_invalidated_at").ValueKind);
        var read = await Lifecycle.Activities.Reconciliation.PrebuildSnapshotReader.ReadAsync(database.DataSource, Lifecycle.Workflows.Prebuilds.PrebuildOptions.Default);
        var actions = Lifecycle.Workflows.Prebuilds.PresetReconciliation.Decide(read.Snapshot.ForPreset(preset), read.ReadAt, Lifecycle.Workflows.Prebuilds.PrebuildOptions.Default).Actions;
        Assert.Equal([old1, old2], Assert.Single(actions, a => a.Kind == Lifecycle.Workflows.Prebuilds.PrebuildActionKind.Delete).DeleteIds);
        Assert.Equal(2, Assert.Single(actions, a => a.Kind == Lifecycle.Workflows.Prebuilds.PrebuildActionKind.Create).Create);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync($"/api/v1/presets/{Guid.NewGuid()}/invalidate", null)).Status);
    }

    [Fact]
    public async Task A_preset_without_prebuilds_reads_as_zero_and_unknown_ids_are_404_or_400()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        var version = await api.PostAsync($"/api/v1/templates/{template}/versions", new { name = "v1", presets = new[] { new { name = "none" } } });
        var preset = version.Body.GetProperty("presets")[0].GetProperty("id").GetGuid();

        var none = (await api.GetAsync($"/api/v1/presets/{preset}")).Body;
        var unknown = await api.GetAsync($"/api/v1/presets/{Guid.NewGuid()}");
        var unknownReset = await api.PostAsync($"/api/v1/presets/{Guid.NewGuid()}/reset", null);
        var notAnId = await api.GetAsync("/api/v1/presets/seven");

        Assert.Equal(JsonValueKind.Null, none.GetProperty("desired_instances").ValueKind);
        Assert.Equal(0, none.GetProperty("desired").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknownReset.Status);
        Assert.Equal(HttpStatusCode.BadRequest, notAnId.Status);
        Assert.Equal("id", notAnId.Field);
    }
}
