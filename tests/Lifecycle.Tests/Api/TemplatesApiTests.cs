using System.Net;
using System.Text.Json;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary><c>POST /api/v1/templates</c>, <c>GET|PATCH /api/v1/templates/{id}</c> against the real API and database.</summary>
public sealed class TemplatesApiTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    /// <summary>Bad template bodies: (case, JSON with {org} for a real organization id, field named in the 400).</summary>
    public static TheoryData<string, string, string> BadCreates => new()
    {
        { "missing organization", """{"name": "t", "provider_name": "process"}""", "organization_id" },
        { "unknown organization", """{"organization_id": "00000000-0000-0000-0000-000000000001", "name": "t", "provider_name": "process"}""", "organization_id" },
        { "missing name", """{"organization_id": "{org}", "provider_name": "process"}""", "name" },
        { "blank name", """{"organization_id": "{org}", "name": "  ", "provider_name": "process"}""", "name" },
        { "unknown provider", """{"organization_id": "{org}", "name": "t", "provider_name": "lxd"}""", "provider_name" },
        { "negative default ttl", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "default_ttl_ms": -1}""", "default_ttl_ms" },
        { "default ttl beyond 30 days", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "default_ttl_ms": 2592000001}""", "default_ttl_ms" },
        { "negative failure ttl", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "failure_ttl_ms": -5}""", "failure_ttl_ms" },
        { "negative dormancy", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "time_til_dormant_ms": -5}""", "time_til_dormant_ms" },
        { "zero bootstrap timeout", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "bootstrap_timeout_ms": 0}""", "bootstrap_timeout_ms" },
        { "autostop requirement weeks out of range", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "autostop_requirement": {"days_of_week": ["saturday"], "weeks": 17}}""", "autostop_requirement.weeks" },
        { "unknown weekday", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "autostart_allowed_days": ["monday", "funday"]}""", "autostart_allowed_days[1]" },
        { "wrong type", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "default_ttl_ms": "1h"}""", "default_ttl_ms" },
        { "unknown field", """{"organization_id": "{org}", "name": "t", "provider_name": "process", "default_tll_ms": 5}""", "default_tll_ms" },
        { "malformed JSON", """{"organization_id": "{org}", "name": """, "name" },
        { "not an object", "[1, 2]", "body" },
    };

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task A_template_is_created_with_its_policy_read_back_and_audited()
    {
        var org = await api.OrganizationAsync();
        var created = await api.PostAsync("/api/v1/templates", new
        {
            organization_id = org,
            name = "dev-box",
            display_name = "Dev box",
            provider_name = "process",
            default_ttl_ms = 8 * 3600_000L,
            activity_bump_ms = 1800_000L,
            allow_user_autostart = false,
            allow_user_autostop = true,
            autostart_allowed_days = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" },
            autostop_requirement = new { days_of_week = new[] { "saturday" }, weeks = 2 },
            failure_ttl_ms = 3600_000L,
            time_til_dormant_ms = 7 * 86400_000L,
            time_til_dormant_autodelete_ms = 30 * 86400_000L,
            time_til_autostop_notify_ms = 900_000L,
            require_active_version = true,
            bootstrap_timeout_ms = 600_000L,
        });

        Assert.True(created.Status == HttpStatusCode.Created, created.ToString());
        var got = await api.GetAsync($"/api/v1/templates/{created.Id}");
        Assert.Equal(HttpStatusCode.OK, got.Status);
        var t = got.Body;
        Assert.Equal("dev-box", t.GetProperty("name").GetString());
        Assert.Equal(org, t.GetProperty("organization_id").GetGuid());
        Assert.Equal("process", t.GetProperty("provider_name").GetString());
        Assert.Equal(8 * 3600_000L, t.GetProperty("default_ttl_ms").GetInt64());
        Assert.Equal(1800_000L, t.GetProperty("activity_bump_ms").GetInt64());
        Assert.False(t.GetProperty("allow_user_autostart").GetBoolean());
        Assert.Equal(["monday", "tuesday", "wednesday", "thursday", "friday"], t.GetProperty("autostart_allowed_days").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["saturday"], t.GetProperty("autostop_requirement").GetProperty("days_of_week").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(2, t.GetProperty("autostop_requirement").GetProperty("weeks").GetInt32());
        Assert.Equal(3600_000L, t.GetProperty("failure_ttl_ms").GetInt64());
        Assert.Equal(7 * 86400_000L, t.GetProperty("time_til_dormant_ms").GetInt64());
        Assert.Equal(30 * 86400_000L, t.GetProperty("time_til_dormant_autodelete_ms").GetInt64());
        Assert.Equal(900_000L, t.GetProperty("time_til_autostop_notify_ms").GetInt64());
        Assert.True(t.GetProperty("require_active_version").GetBoolean());
        Assert.Equal(600_000L, t.GetProperty("bootstrap_timeout_ms").GetInt64());
        Assert.Equal(JsonValueKind.Null, t.GetProperty("active_version_id").ValueKind);
        Assert.Equal(0, t.GetProperty("versions").GetArrayLength());
        Assert.Equal(31, await ApiRows.ScalarAsync<int>(database.DataSource, "SELECT autostart_allowed_days FROM templates WHERE id = @id", new { id = created.Id }));
        Assert.Equal(1L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM audit_log WHERE resource_type = 'template' AND action = 'create' AND resource_id = @id", new { id = created.Id }));
    }

    [Fact]
    public async Task Unset_policy_fields_take_the_schema_defaults()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());

        var t = (await api.GetAsync($"/api/v1/templates/{template}")).Body;

        Assert.Equal(0L, t.GetProperty("default_ttl_ms").GetInt64());
        Assert.Equal(3600_000L, t.GetProperty("activity_bump_ms").GetInt64());
        Assert.Equal(7, t.GetProperty("autostart_allowed_days").GetArrayLength());
        Assert.Equal(1200_000L, t.GetProperty("bootstrap_timeout_ms").GetInt64());
        Assert.Equal("", t.GetProperty("deprecated").GetString());
    }

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task A_bad_template_is_a_400_naming_the_field_and_writes_nothing(string rule, string json, string field)
    {
        var org = await api.OrganizationAsync();
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var answer = await api.SendRawAsync(HttpMethod.Post, "/api/v1/templates", json.Replace("{org}", org.ToString(), StringComparison.Ordinal));

        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{rule}: {answer}");
        Assert.True(answer.Field == field, $"{rule}: expected field {field}, got {answer}");
        Assert.False(string.IsNullOrWhiteSpace(answer.Error), rule);
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
    }

    [Fact]
    public async Task A_duplicate_name_in_the_organization_is_409_and_other_organizations_may_reuse_it()
    {
        var org = await api.OrganizationAsync();
        await api.TemplateAsync(org, "shared-name");
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var duplicate = await api.PostAsync("/api/v1/templates", new { organization_id = org, name = "Shared-Name", provider_name = "process" });
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
        var elsewhere = await api.PostAsync("/api/v1/templates", new { organization_id = await api.OrganizationAsync(), name = "shared-name", provider_name = "process" });

        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
        Assert.Equal("name", duplicate.Field);
        Assert.Equal(HttpStatusCode.Created, elsewhere.Status);
    }

    [Fact]
    public async Task Patch_changes_only_the_given_policy_fields_deprecates_and_deletes()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());

        var patched = await api.PatchAsync($"/api/v1/templates/{template}", new { default_ttl_ms = 3600_000L, allow_user_autostop = false, deprecated = "use dev-box-2" });
        Assert.True(patched.Status == HttpStatusCode.OK, patched.ToString());
        Assert.Equal(3600_000L, patched.Body.GetProperty("default_ttl_ms").GetInt64());
        Assert.False(patched.Body.GetProperty("allow_user_autostop").GetBoolean());
        Assert.Equal("use dev-box-2", patched.Body.GetProperty("deprecated").GetString());
        Assert.Equal(3600_000L, patched.Body.GetProperty("activity_bump_ms").GetInt64());

        var deleted = await api.PatchAsync($"/api/v1/templates/{template}", new { deleted = true });
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.True(deleted.Body.GetProperty("deleted").GetBoolean());
        Assert.True((await api.GetAsync($"/api/v1/templates/{template}")).Body.GetProperty("deleted").GetBoolean());

        var afterDelete = await api.PatchAsync($"/api/v1/templates/{template}", new { default_ttl_ms = 1L });
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.Status);
        Assert.Equal(3L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM audit_log WHERE resource_type = 'template' AND resource_id = @template", new { template }));
    }

    [Theory]
    [InlineData("negative ttl", """{"default_ttl_ms": -1}""", "default_ttl_ms")]
    [InlineData("undelete", """{"deleted": false}""", "deleted")]
    [InlineData("weeks zero", """{"autostop_requirement": {"weeks": 0}}""", "autostop_requirement.weeks")]
    [InlineData("active version of another template", """{"active_version_id": "00000000-0000-0000-0000-000000000002"}""", "active_version_id")]
    [InlineData("provider cannot change", """{"provider_name": "lxd"}""", "provider_name")]
    public async Task A_bad_patch_is_a_400_and_leaves_the_template_as_it_was(string rule, string json, string field)
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        var before = await api.GetAsync($"/api/v1/templates/{template}");
        var rows = await ApiRows.FingerprintAsync(database.DataSource);

        var answer = await api.SendRawAsync(HttpMethod.Patch, $"/api/v1/templates/{template}", json);

        Assert.True(answer.Status == HttpStatusCode.BadRequest && answer.Field == field, $"{rule}: {answer}");
        Assert.Equal(before.Raw, (await api.GetAsync($"/api/v1/templates/{template}")).Raw);
        Assert.Equal(rows, await ApiRows.FingerprintAsync(database.DataSource));
    }

    [Fact]
    public async Task Patch_switches_the_active_version_back_to_an_older_one()
    {
        var template = await api.TemplateAsync(await api.OrganizationAsync());
        var (v1, _) = await api.VersionAsync(template, name: "v1");
        var (v2, _) = await api.VersionAsync(template, name: "v2");
        Assert.Equal(v2, (await api.GetAsync($"/api/v1/templates/{template}")).Body.GetProperty("active_version_id").GetGuid());

        var answer = await api.PatchAsync($"/api/v1/templates/{template}", new { active_version_id = v1 });

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(v1, answer.Body.GetProperty("active_version_id").GetGuid());
        Assert.Equal([true, false], answer.Body.GetProperty("versions").EnumerateArray().OrderBy(v => v.GetProperty("name").GetString()).Select(v => v.GetProperty("active").GetBoolean()));
    }

    [Fact]
    public async Task Of_concurrent_creates_with_one_name_exactly_one_is_created_and_the_rest_are_409()
    {
        var org = await api.OrganizationAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            api.PostAsync("/api/v1/templates", new { organization_id = org, name = "raced", provider_name = "process" })));

        Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a => Assert.True(a.Status == HttpStatusCode.Conflict && a.Field == "name", a.ToString()));
        Assert.Equal(1L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM templates WHERE organization_id = @org", new { org }));
    }
}
