using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Client;

namespace Instances.Bench;

/// <summary>
/// The agents' ready callback (<c>POST /api/v1/instances/{id}/ready</c>) signalling the Instance workflow, as the API
/// does (the token check is the API's and is tested there; it is left out here).
/// </summary>
internal sealed class ReadyEndpoint : IAsyncDisposable
{
    private readonly WebApplication app;

    private ReadyEndpoint(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<ReadyEndpoint> StartAsync(ITemporalClient client)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/api/v1/instances/{id:guid}/ready", async (Guid id) =>
        {
            await client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(id)).SignalAsync(wf => wf.ReadyAsync());
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ReadyEndpoint(app, address.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
