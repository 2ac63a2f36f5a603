using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Worker.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Temporalio.Client;

namespace Lifecycle.Tests.Api;

/// <summary>One answer of the API: status code and parsed JSON body (undefined when the body is empty).</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, string Raw)
{
    public string? Error => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetString() : null;

    public string? Field => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("field", out var f) ? f.GetString() : null;

    public Guid Id => Body.GetProperty("id").GetGuid();

    public override string ToString() => $"{(int)Status} {Raw}";
}

/// <summary>
/// The API as the host serves it — the same <see cref="LifecycleApi.AddLifecycleApi"/> and
/// <see cref="LifecycleApi.MapLifecycleApi"/> calls, plus the agent callback — on Kestrel at a free port over real
/// HTTP, against the test class's real PostgreSQL database and a real Temporal client.
/// </summary>
internal sealed class ApiTestHost : IAsyncDisposable
{
    public const string Token = "test-api-token-0123456789abcdef";

    private readonly WebApplication app;

    private ApiTestHost(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url) };
    }

    public string Url { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => app.Services;

    /// <summary>
    /// Starts the API. Without <paramref name="temporal"/> the client is created lazily against a closed port: it is a
    /// real client that only the template-policy fanout would use, and only for claimed workspaces.
    /// </summary>
    public static async Task<ApiTestHost> StartAsync(NpgsqlDataSource database, ITemporalClient? temporal = null, string? instanceTaskQueue = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(temporal ?? TemporalClient.CreateLazy(new("127.0.0.1:1")));
        builder.Services.AddSingleton(ProviderCatalog.FromConfiguration(new Dictionary<string, ProviderDefinition>(), "api-tests", ProcessProviderExecutable.Definition()));
        builder.Services.AddSingleton(new ReconcileSettings { InstanceTaskQueue = instanceTaskQueue });
        builder.Services.AddLifecycleApi(new ApiToken(Token, generated: false));
        var app = builder.Build();
        app.MapInstanceReady();
        app.MapLifecycleApi();
        // The real /healthz needs the whole host; scripts waiting for health (the demo seed) only need the API up.
        app.MapGet("/healthz", () => Microsoft.AspNetCore.Http.Results.Ok());
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ApiTestHost(app, url);
    }

    public Task<ApiAnswer> SendAsync(HttpMethod method, string path, object? body = null, string? token = Token) =>
        SendRawAsync(method, path, body is null ? null : JsonSerializer.Serialize(body), token);

    public async Task<ApiAnswer> SendRawAsync(HttpMethod method, string path, string? json, string? token = Token)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        var parsed = raw.Length == 0 ? default : JsonDocument.Parse(raw).RootElement.Clone();
        return new ApiAnswer(response.StatusCode, parsed, raw);
    }

    public Task<ApiAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiAnswer> PostAsync(string path, object? body) => SendAsync(HttpMethod.Post, path, body ?? new { });

    public Task<ApiAnswer> PatchAsync(string path, object body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiAnswer> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    /// <summary>Creates an organization and returns its id.</summary>
    public async Task<Guid> OrganizationAsync(string? name = null)
    {
        var answer = await PostAsync("/api/v1/organizations", new { name = name ?? $"org-{Guid.NewGuid():N}" });
        return answer.Status == HttpStatusCode.Created ? answer.Id : throw new InvalidOperationException(answer.ToString());
    }

    /// <summary>Creates a template on the process provider and returns its id.</summary>
    public async Task<Guid> TemplateAsync(Guid organizationId, string? name = null)
    {
        var answer = await PostAsync("/api/v1/templates", new { organization_id = organizationId, name = name ?? $"tpl-{Guid.NewGuid():N}", provider_name = "process" });
        return answer.Status == HttpStatusCode.Created ? answer.Id : throw new InvalidOperationException(answer.ToString());
    }

    /// <summary>Adds an active version with one preset and returns (version id, preset id).</summary>
    public async Task<(Guid Version, Guid Preset)> VersionAsync(Guid templateId, int desired = 3, string? name = null)
    {
        var answer = await PostAsync($"/api/v1/templates/{templateId}/versions", new
        {
            name = name ?? $"v-{Guid.NewGuid():N}",
            activate = true,
            presets = new[] { new { name = "small", desired_instances = desired, parameters = new Dictionary<string, string> { ["cpu"] = "2" } } },
        });
        return answer.Status == HttpStatusCode.Created
            ? (answer.Id, answer.Body.GetProperty("presets")[0].GetProperty("id").GetGuid())
            : throw new InvalidOperationException(answer.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
    }
}
