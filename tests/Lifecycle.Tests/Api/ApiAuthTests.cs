using System.Net;
using Lifecycle.Testing.Postgres;
using Lifecycle.Worker.Api;
using Lifecycle.Worker.Configuration;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>Every route under /api/v1 refuses a missing or wrong API token with 401 and changes nothing; the agent callback keeps its own token.</summary>
public sealed class ApiAuthTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    /// <summary>Every token-protected route: (method, path with {id} placeholders for real ids, body).</summary>
    public static TheoryData<string, string, string?> Routes => new()
    {
        { "POST", "/api/v1/organizations", """{"name": "intruders"}""" },
        { "GET", "/api/v1/organizations/{org}", null },
        { "POST", "/api/v1/templates", """{"organization_id": "{org}", "name": "evil", "provider_name": "process"}""" },
        { "GET", "/api/v1/templates/{template}", null },
        { "PATCH", "/api/v1/templates/{template}", """{"deleted": true}""" },
        { "POST", "/api/v1/templates/{template}/versions", """{"name": "evil", "activate": true}""" },
        { "GET", "/api/v1/presets/{preset}", null },
        { "POST", "/api/v1/presets/{preset}/reset", null },
        { "POST", "/api/v1/presets/{preset}/invalidate", null },
        { "POST", "/api/v1/users", """{"username": "mallory", "roles": ["owner"]}""" },
        { "GET", "/api/v1/users/{user}", null },
        { "PATCH", "/api/v1/users/{user}", """{"status": "suspended"}""" },
        { "GET", "/api/v1/notifications", null },
        { "GET", "/api/v1/settings/reconciliation", null },
        { "PUT", "/api/v1/settings/reconciliation", """{"paused": true}""" },
    };

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_missing_or_wrong_token_is_401_with_a_json_error_and_nothing_changes(string method, string path, string? body)
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (_, preset) = await api.VersionAsync(template);
        await ApiRows.ExecuteAsync(database.DataSource, "UPDATE presets SET prebuild_status = 'hard_limited' WHERE id = @preset", new { preset });
        var user = (await api.PostAsync("/api/v1/users", new { username = $"u-{Guid.NewGuid():N}" })).Id;
        var resolved = path.Replace("{org}", org.ToString(), StringComparison.Ordinal).Replace("{template}", template.ToString(), StringComparison.Ordinal)
            .Replace("{preset}", preset.ToString(), StringComparison.Ordinal).Replace("{user}", user.ToString(), StringComparison.Ordinal);
        var json = body?.Replace("{org}", org.ToString(), StringComparison.Ordinal);
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        foreach (var token in new string?[] { null, "", "wrong-token-0123456789abcdef", ApiTestHost.Token + "x", ApiTestHost.Token[..^1] })
        {
            var answer = await api.SendRawAsync(new HttpMethod(method), resolved, json, token);

            Assert.True(answer.Status == HttpStatusCode.Unauthorized, $"{method} {path} with token \"{token}\": {answer}");
            Assert.False(string.IsNullOrEmpty(answer.Error));
            Assert.Equal("Authorization", answer.Field);
        }
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));

        // The same request with the token is served: the 401 came from the token, not from the route.
        var served = await api.SendRawAsync(new HttpMethod(method), resolved, json);
        Assert.True((int)served.Status is >= 200 and < 300, $"{method} {path} with the token: {served}");
    }

    [Fact]
    public async Task The_agent_callback_is_outside_the_api_token_and_does_not_accept_it()
    {
        var unknown = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/instances/{Guid.NewGuid()}/ready", null);
        var noToken = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/instances/{Guid.NewGuid()}/ready", null, token: null);

        // With the API token it is judged by its own per-instance rule (unknown instance), not let in by the API token.
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.Status);
        Assert.Contains("instance token", noToken.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_is_compared_as_a_bearer_credential_only()
    {
        var token = new ApiToken(ApiTestHost.Token, generated: false);

        Assert.True(token.Accepts($"Bearer {ApiTestHost.Token}"));
        Assert.True(token.Accepts($"bearer {ApiTestHost.Token} "));
        Assert.False(token.Accepts(null));
        Assert.False(token.Accepts(ApiTestHost.Token));
        Assert.False(token.Accepts($"Basic {ApiTestHost.Token}"));
        Assert.False(token.Accepts("Bearer "));
        Assert.False(token.Accepts($"Bearer {ApiTestHost.Token.ToUpperInvariant()}"));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void In_dev_mode_an_unset_token_is_made_once_kept_private_in_the_data_folder_and_reused()
    {
        var directory = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"api-token-{Guid.NewGuid():N}");
        try
        {
            var options = Options(directory, temporalAddress: null);

            var first = ApiToken.Resolve(null, options);
            var second = ApiToken.Resolve("  ", options);

            Assert.True(first.Generated);
            Assert.Equal(first.Value, second.Value);
            Assert.True(first.Value.Length >= ApiToken.MinimumLength);
            Assert.Equal(first.Value, File.ReadAllText(Path.Combine(directory, ApiToken.FileName)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, ApiToken.FileName)));
            var configured = ApiToken.Resolve("configured-token-0123456789", options);
            Assert.False(configured.Generated);
            Assert.Equal("configured-token-0123456789", configured.Value);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("too short", "short", null, "invalid setting LIFECYCLE_API_TOKEN (Lifecycle:Api:Token): is 5 characters; use at least 16 (e.g. openssl rand -hex 32)")]
    [InlineData("unset with a configured Temporal", null, "temporal.internal:7233", "invalid setting LIFECYCLE_API_TOKEN (Lifecycle:Api:Token): is missing: with a configured Temporal server (LIFECYCLE_TEMPORAL_ADDRESS) the API token must be configured (e.g. openssl rand -hex 32)")]
    public void A_bad_or_missing_production_token_stops_start_up_naming_the_setting(string rule, string? configured, string? temporalAddress, string expected)
    {
        var error = Assert.Throws<InvalidSettingException>(() => ApiToken.Resolve(configured, Options(Path.Combine(Path.GetTempPath(), "lifecycle-tests", "unused"), temporalAddress)));

        Assert.True(expected == error.Message, $"{rule}: {error.Message}");
    }

    private static LifecycleOptions Options(string directory, string? temporalAddress) => new()
    {
        DataDirectory = directory,
        Temporal = new TemporalOptions { Address = temporalAddress, Namespace = "default", TaskQueue = "lifecycle" },
        HttpUrl = new Uri("http://127.0.0.1:8080"),
    };
}
