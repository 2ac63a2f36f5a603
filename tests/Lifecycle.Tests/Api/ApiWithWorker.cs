using System.Runtime.Versioning;
using Lifecycle.Testing.Temporal;
using Lifecycle.Tests.Claims;
using Npgsql;

namespace Lifecycle.Tests.Api;

/// <summary>
/// The API host and a <see cref="ClaimKit"/> worker on one task queue, so a request that starts a workflow is served by
/// the real worker. Every workflow the test tracks is terminated at the end (a workflow left with a due timer and no
/// worker would hold the time-skipping clock for every later test).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ApiWithWorker : IAsyncDisposable
{
    private readonly List<Guid> started = [];

    private ApiWithWorker(ClaimKit kit, ApiTestHost api)
    {
        Kit = kit;
        Api = api;
    }

    public ClaimKit Kit { get; }

    public ApiTestHost Api { get; }

    public static async Task<ApiWithWorker> StartAsync(TemporalFixture temporal, NpgsqlDataSource dataSource)
    {
        var taskQueue = temporal.NewTaskQueue();
        var kit = await ClaimKit.CreateAsync(temporal.Client, dataSource, taskQueue);
        return new(kit, await ApiTestHost.StartAsync(dataSource, temporal.Client, taskQueue));
    }

    /// <summary>Terminates the workflow of <paramref name="id"/> when the test ends.</summary>
    public void Track(Guid id) => started.Add(id);

    public async ValueTask DisposeAsync()
    {
        foreach (var id in started)
        {
            try
            {
                await Kit.Handle(id).TerminateAsync("test done");
            }
            catch (Temporalio.Exceptions.RpcException)
            {
                // Already ended.
            }
        }
        await Api.DisposeAsync();
        Kit.Dispose();
    }
}
