using System.Net;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary><c>POST /api/v1/users</c>, <c>GET|PATCH /api/v1/users/{id}</c>.</summary>
public sealed class UsersApiTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    /// <summary>Bad user bodies: (case, JSON with {org}, field named in the 400).</summary>
    public static TheoryData<string, string, string> BadCreates => new()
    {
        { "missing username", """{"roles": []}""", "username" },
        { "username with a space", """{"username": "a b"}""", "username" },
        { "unknown status", """{"username": "u1", "status": "retired"}""", "status" },
        { "unknown role", """{"username": "u1", "roles": ["template-admin", "god"]}""", "roles[1]" },
        { "unknown organization", """{"username": "u1", "organization_ids": ["{org}", "00000000-0000-0000-0000-000000000003"]}""", "organization_ids[1]" },
        { "bad email", """{"username": "u1", "email": "not-an-address"}""", "email" },
        { "quiet hours on weekdays only", """{"username": "u1", "quiet_hours_schedule": "CRON_TZ=UTC 0 2 * * 1-5"}""", "quiet_hours_schedule" },
        { "quiet hours in an unknown zone", """{"username": "u1", "quiet_hours_schedule": "CRON_TZ=Atlantis/Main 0 2 * * *"}""", "quiet_hours_schedule" },
    };

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task A_user_is_created_with_roles_and_memberships_then_suspended_and_given_roles()
    {
        var org = await api.OrganizationAsync();
        var created = await api.PostAsync("/api/v1/users", new
        {
            username = "alice",
            email = "alice@example.com",
            roles = new[] { "template-admin" },
            quiet_hours_schedule = "CRON_TZ=Europe/Berlin 0 2 * * *",
            organization_ids = new[] { org },
        });
        Assert.True(created.Status == HttpStatusCode.Created, created.ToString());
        Assert.Equal("active", created.Body.GetProperty("status").GetString());
        Assert.Equal([org], created.Body.GetProperty("organization_ids").EnumerateArray().Select(o => o.GetGuid()));

        var patched = await api.PatchAsync($"/api/v1/users/{created.Id}", new { status = "suspended", roles = new[] { "owner", "auditor" } });
        var got = await api.GetAsync($"/api/v1/users/{created.Id}");

        Assert.True(patched.Status == HttpStatusCode.OK, patched.ToString());
        Assert.Equal("suspended", got.Body.GetProperty("status").GetString());
        Assert.Equal(["owner", "auditor"], got.Body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("alice@example.com", got.Body.GetProperty("email").GetString());
        Assert.Equal("CRON_TZ=Europe/Berlin 0 2 * * *", got.Body.GetProperty("quiet_hours_schedule").GetString());
        Assert.Equal("suspended", await ApiRows.ScalarAsync<string>(database.DataSource, "SELECT status FROM users WHERE id = @id", new { id = created.Id }));
        Assert.Equal(2L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM audit_log WHERE resource_type = 'user' AND resource_id = @id", new { id = created.Id }));
    }

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task A_bad_user_is_a_400_naming_the_field_and_writes_nothing(string rule, string json, string field)
    {
        var org = await api.OrganizationAsync();
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var answer = await api.SendRawAsync(HttpMethod.Post, "/api/v1/users", json.Replace("{org}", org.ToString(), StringComparison.Ordinal));

        Assert.True(answer.Status == HttpStatusCode.BadRequest && answer.Field == field, $"{rule}: {answer}");
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
    }

    [Fact]
    public async Task A_taken_username_is_409_a_system_user_cannot_be_changed_and_unknown_users_are_404()
    {
        await api.PostAsync("/api/v1/users", new { username = "bob" });
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var duplicate = await api.PostAsync("/api/v1/users", new { username = "bob" });
        var system = await api.PatchAsync($"/api/v1/users/{SystemUsers.PrebuildsUserId}", new { status = "suspended" });
        var badStatus = await api.PatchAsync($"/api/v1/users/{SystemUsers.PrebuildsUserId}", new { status = "sleepy" });
        var unknownGet = await api.GetAsync($"/api/v1/users/{Guid.NewGuid()}");
        var unknownPatch = await api.PatchAsync($"/api/v1/users/{Guid.NewGuid()}", new { status = "active" });

        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
        Assert.Equal("username", duplicate.Field);
        Assert.Equal(HttpStatusCode.Conflict, system.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknownGet.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknownPatch.Status);
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
        Assert.True((await api.GetAsync($"/api/v1/users/{SystemUsers.PrebuildsUserId}")).Body.GetProperty("is_system").GetBoolean());
    }
}
