using System.Net;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>Unknown ids are 404 with a JSON error on every route that takes one; ids that are not UUIDs are 400.</summary>
public sealed class ApiNotFoundTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    public static TheoryData<string, string, string?> RoutesWithIds => new()
    {
        { "GET", "/api/v1/organizations/{id}", null },
        { "GET", "/api/v1/templates/{id}", null },
        { "PATCH", "/api/v1/templates/{id}", """{"default_ttl_ms": 60000}""" },
        { "POST", "/api/v1/templates/{id}/versions", """{"name": "v1"}""" },
        { "GET", "/api/v1/presets/{id}", null },
        { "POST", "/api/v1/presets/{id}/reset", null },
        { "POST", "/api/v1/presets/{id}/invalidate", null },
        { "GET", "/api/v1/users/{id}", null },
        { "PATCH", "/api/v1/users/{id}", """{"status": "dormant"}""" },
        { "POST", "/api/v1/instances/{id}/ready", null },
    };

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Theory]
    [MemberData(nameof(RoutesWithIds))]
    public async Task An_unknown_id_is_404_and_a_non_uuid_is_400(string method, string path, string? body)
    {
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var unknown = await api.SendRawAsync(new HttpMethod(method), path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal), body);
        var malformed = await api.SendRawAsync(new HttpMethod(method), path.Replace("{id}", "not-a-uuid", StringComparison.Ordinal), body);

        Assert.True(unknown.Status == HttpStatusCode.NotFound, $"{method} {path}: {unknown}");
        Assert.Contains("not found", unknown.Error, StringComparison.Ordinal);
        Assert.True(malformed.Status == HttpStatusCode.BadRequest && malformed.Field == "id", $"{method} {path}: {malformed}");
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
    }
}
