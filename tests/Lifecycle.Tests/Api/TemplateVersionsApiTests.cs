using System.Net;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary><c>POST /api/v1/templates/{id}/versions</c>: presets with parameters, prebuild schedules and TTL; activation.</summary>
public sealed class TemplateVersionsApiTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    /// <summary>Bad version bodies: (case, JSON, field named in the 400).</summary>
    public static TheoryData<string, string, string> BadVersions => new()
    {
        { "missing name", """{"presets": []}""", "name" },
        { "negative desired count", """{"name": "v", "presets": [{"name": "p", "desired_instances": -1}]}""", "presets[0].desired_instances" },
        { "desired count beyond the cap", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1001}]}""", "presets[0].desired_instances" },
        { "negative prebuild ttl", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "invalidate_after_secs": -1}]}""", "presets[0].invalidate_after_secs" },
        { "invalid cron", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "prebuild_schedules": [{"cron_expression": "* 25 * * *", "desired_instances": 2}]}]}""", "presets[0].prebuild_schedules[0].cron_expression" },
        { "cron with a minute", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "prebuild_schedules": [{"cron_expression": "0 9-17 * * 1-5", "desired_instances": 2}]}]}""", "presets[0].prebuild_schedules[0].cron_expression" },
        { "unknown time zone", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "Mars/Olympus", "prebuild_schedules": [{"cron_expression": "* 9-17 * * 1-5", "desired_instances": 2}]}]}""", "presets[0].scheduling_timezone" },
        { "unknown time zone without schedules", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "Nowhere/Land"}]}""", "presets[0].scheduling_timezone" },
        { "schedules without a time zone", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "prebuild_schedules": [{"cron_expression": "* 9-17 * * 1-5", "desired_instances": 2}]}]}""", "presets[0].scheduling_timezone" },
        { "overlapping schedules", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "prebuild_schedules": [{"cron_expression": "* 9-12 * * 1-5", "desired_instances": 2}, {"cron_expression": "* 12-14 * * 1", "desired_instances": 3}]}]}""", "presets[0].prebuild_schedules[1].cron_expression" },
        { "negative scheduled count", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "prebuild_schedules": [{"cron_expression": "* 9-12 * * 1-5", "desired_instances": -2}]}]}""", "presets[0].prebuild_schedules[0].desired_instances" },
        { "target expression that does not parse", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "target_expression": "running +"}]}""", "presets[0].target_expression" },
        { "target expression with an unknown variable", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "target_expression": "queue_depth * 2"}]}""", "presets[0].target_expression" },
        { "blank target expression", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "UTC", "target_expression": "  "}]}""", "presets[0].target_expression" },
        { "target expression without a time zone", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "target_expression": "running + 1"}]}""", "presets[0].target_expression" },
        { "target expression on a preset without prebuilds", """{"name": "v", "presets": [{"name": "p", "scheduling_timezone": "UTC", "target_expression": "2"}]}""", "presets[0].target_expression" },
        { "target expression with an unknown time zone", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1, "scheduling_timezone": "Mars/Olympus", "target_expression": "2"}]}""", "presets[0].scheduling_timezone" },
        { "duplicate preset name", """{"name": "v", "presets": [{"name": "p", "desired_instances": 1}, {"name": "p", "desired_instances": 2}]}""", "presets[1].name" },
        { "extra specs not an object", """{"name": "v", "provider_extra_specs": [1]}""", "provider_extra_specs" },
        { "malformed JSON", """{"name": "v", "presets": [{"name": }""", "presets[0].name" },
    };

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task A_version_with_presets_is_stored_whole_and_activate_makes_it_active()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        var (first, _) = await api.VersionAsync(template, name: "v1");

        var answer = await api.PostAsync($"/api/v1/templates/{template}/versions", new
        {
            name = "v2",
            message = "bigger disks",
            provider_image = "ubuntu:24.04",
            provider_flavor = "large",
            provider_extra_specs = new { disk_gb = 80 },
            activate = true,
            presets = new object[]
            {
                new
                {
                    name = "large",
                    desired_instances = 3,
                    invalidate_after_secs = 86400,
                    scheduling_timezone = "Europe/Berlin",
                    parameters = new Dictionary<string, string> { ["cpu"] = "8", ["region"] = "eu" },
                    prebuild_schedules = new[] { new { cron_expression = "* 8-18 * * 1-5", desired_instances = 5 } },
                },
                new { name = "on-demand" },
            },
        });

        Assert.True(answer.Status == HttpStatusCode.Created, answer.ToString());
        Assert.True(answer.Body.GetProperty("active").GetBoolean());
        Assert.Equal(80, answer.Body.GetProperty("provider_extra_specs").GetProperty("disk_gb").GetInt32());
        var presets = answer.Body.GetProperty("presets");
        Assert.Equal(2, presets.GetArrayLength());
        var large = presets[0];
        Assert.Equal(3, large.GetProperty("desired_instances").GetInt32());
        Assert.Equal(86400, large.GetProperty("invalidate_after_secs").GetInt32());
        Assert.Equal("8", large.GetProperty("parameters").GetProperty("cpu").GetString());
        Assert.Equal("* 8-18 * * 1-5", large.GetProperty("prebuild_schedules")[0].GetProperty("cron_expression").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, presets[1].GetProperty("desired_instances").ValueKind);

        var t = (await api.GetAsync($"/api/v1/templates/{template}")).Body;
        Assert.Equal(answer.Id, t.GetProperty("active_version_id").GetGuid());
        Assert.NotEqual(first, answer.Id);
        Assert.Equal(2L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM preset_parameters WHERE preset_id = @id", new { id = large.GetProperty("id").GetGuid() }));
        Assert.Equal(1L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM audit_log WHERE resource_type = 'template_version' AND resource_id = @id", new { id = answer.Id }));
    }

    [Fact]
    public async Task The_first_version_is_active_and_a_later_one_is_not_unless_asked()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());

        var first = await api.PostAsync($"/api/v1/templates/{template}/versions", new { name = "v1" });
        var second = await api.PostAsync($"/api/v1/templates/{template}/versions", new { name = "v2" });

        Assert.True(first.Body.GetProperty("active").GetBoolean());
        Assert.False(second.Body.GetProperty("active").GetBoolean());
        Assert.Equal(first.Id, (await api.GetAsync($"/api/v1/templates/{template}")).Body.GetProperty("active_version_id").GetGuid());
    }

    [Theory]
    [MemberData(nameof(BadVersions))]
    public async Task A_bad_version_is_a_400_naming_the_field_and_writes_nothing(string rule, string json, string field)
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var answer = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/templates/{template}/versions", json);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{rule}: {answer}");
        Assert.True(answer.Field == field, $"{rule}: expected field {field}, got {answer}");
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
    }

    [Theory]
    [InlineData("running + foo", "presets[0].target_expression: unknown variable \"foo\" at 11")]
    [InlineData("(running + 2", "presets[0].target_expression: expected ')' closing the '(' at 1, got end of expression at 13")]
    [InlineData("clamp(running)", "presets[0].target_expression: clamp() takes 3 arguments, got 1 at 1")]
    public async Task A_target_expression_that_does_not_parse_is_refused_with_the_problem_and_its_position(string expression, string error)
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());

        var answer = await api.PostAsync($"/api/v1/templates/{template}/versions", new
        {
            name = "v",
            presets = new[] { new { name = "p", desired_instances = 1, scheduling_timezone = "UTC", target_expression = expression } },
        });

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.Equal(error, answer.Error);
    }

    [Fact]
    public async Task A_target_expression_without_a_time_zone_is_refused_naming_the_zone_it_needs()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());

        var answer = await api.PostAsync($"/api/v1/templates/{template}/versions", new
        {
            name = "v",
            presets = new[] { new { name = "p", desired_instances = 1, target_expression = "hour >= 9 && hour < 18 ? 5 : 1" } },
        });

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.Equal(
            "presets[0].target_expression: needs presets[0].scheduling_timezone, an IANA time zone such as \"Europe/Berlin\" (hour and weekday are read in it)",
            answer.Error);
    }

    [Fact]
    public async Task A_target_expression_is_stored_and_one_that_fails_only_when_evaluated_is_accepted()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());

        var answer = await api.PostAsync($"/api/v1/templates/{template}/versions", new
        {
            name = "v",
            activate = true,
            presets = new[]
            {
                new { name = "office", desired_instances = 1, scheduling_timezone = "Europe/Berlin", target_expression = "hour >= 9 && hour < 18 ? 5 : 1" },
                new { name = "broken", desired_instances = 2, scheduling_timezone = "UTC", target_expression = "running / 0" },
            },
        });

        Assert.True(answer.Status == HttpStatusCode.Created, answer.ToString());
        var presets = answer.Body.GetProperty("presets");
        Assert.Equal("hour >= 9 && hour < 18 ? 5 : 1", presets[0].GetProperty("target_expression").GetString());
        var broken = presets[1].GetProperty("id").GetGuid();
        Assert.Equal("running / 0", await ApiRows.ScalarAsync<string>(database.DataSource, "SELECT target_expression FROM presets WHERE id = @broken", new { broken }));
    }

    [Fact]
    public async Task A_duplicate_version_name_is_409_an_unknown_template_404_and_a_deleted_one_404()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        await api.VersionAsync(template, name: "v1");
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var duplicate = await api.PostAsync($"/api/v1/templates/{template}/versions", new { name = "v1" });
        var unknown = await api.PostAsync($"/api/v1/templates/{Guid.NewGuid()}/versions", new { name = "v1" });
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
        await api.PatchAsync($"/api/v1/templates/{template}", new { deleted = true });
        var deleted = await api.PostAsync($"/api/v1/templates/{template}/versions", new { name = "v9" });

        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
        Assert.Equal("name", duplicate.Field);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.NotFound, deleted.Status);
    }
}
