using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifecycle.Tests.Providers;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 standing in for the API's ready callback
/// (<c>POST /api/v1/instances/{name}/ready</c>); it records each call's name and Authorization header.
/// </summary>
internal sealed class ReadyCallbackServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ReadyCall>> ready = new(StringComparer.Ordinal);

    private ReadyCallbackServer(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public ConcurrentQueue<ReadyCall> Calls { get; } = new();

    /// <summary>Starts on <paramref name="port"/> (0: any free port).</summary>
    public static async Task<ReadyCallbackServer> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var server = new ReadyCallbackServer(builder.Build());
        server.app.MapPost("/api/v1/instances/{name}/ready", (string name, HttpRequest request) =>
        {
            var call = new ReadyCall(name, request.Headers.Authorization.ToString());
            server.Calls.Enqueue(call);
            server.Waiter(name).TrySetResult(call);
            return Results.Ok();
        });
        await server.app.StartAsync();
        var address = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    /// <summary>The callback URL to give an instance in its bootstrap params.</summary>
    public string CallbackUrlFor(string name) => $"{BaseUrl}/api/v1/instances/{name}";

    /// <summary>Completes when the instance has called back (or fails after <paramref name="limit"/>).</summary>
    public Task<ReadyCall> WaitReadyAsync(string name, TimeSpan limit) => Waiter(name).Task.WaitAsync(limit);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private TaskCompletionSource<ReadyCall> Waiter(string name) =>
        ready.GetOrAdd(name, _ => new TaskCompletionSource<ReadyCall>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>One ready callback as received.</summary>
internal sealed record ReadyCall(string Name, string Authorization);
