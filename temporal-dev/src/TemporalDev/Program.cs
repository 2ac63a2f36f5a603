using System.Net;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using TemporalDev.Api;
using TemporalDev.Cli;
using TemporalDev.Engine;
using TemporalDev.Engine.Persistence;
using TemporalDev.Grpc;

ServerOptions options;
try
{
    options = ServerOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"temporal-dev: {e.Message}");
    return 2;
}

// The store is declared first so it is disposed last, after the engine has stopped its clock.
using var store = options.DbFilename is null ? null : OpenStore(options.DbFilename);
if (options.DbFilename is not null && store is null) return 1;
using var engine = new WorkflowEngine(options);

// Reading the file overlaps building the web host; the runs are rebuilt before the port is opened.
var loading = store is null ? null : Task.Run(store.Load);
var builder = WebApplication.CreateSlimBuilder([]);
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    var address = options.Ip is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Ip);
    kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http2);
    kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
    kestrel.Limits.MaxRequestBodySize = null;
});
builder.Services.AddGrpc(grpc =>
{
    grpc.MaxReceiveMessageSize = 128 * 1024 * 1024;
    grpc.MaxSendMessageSize = 128 * 1024 * 1024;
});
var router = Routes.Build(engine);
if (store is not null) router.AfterEachCall = engine.Commit;
builder.Services.AddSingleton(router);
builder.Services.AddSingleton<IServiceMethodProvider<TemporalGrpcService>, DescriptorMethodProvider>();
var app = builder.Build();
app.MapGrpcService<TemporalGrpcService>();
if (store is not null && !await RestoreAsync(engine, store, loading!)) return 1;
await Console.Out.WriteLineAsync(
    $"temporal-dev {WorkflowEngine.ServerVersion}: listening on {options.Ip}:{options.Port} (time skipping {(options.TimeSkipping ? "on" : "off")}; namespaces {string.Join(", ", options.Namespaces)})");
await app.RunAsync();
return 0;

// A file that is not ours, too new, corrupt or in use stops the launch: never a silent fresh start.
static SqliteStore? OpenStore(string path)
{
    try
    {
        return SqliteStore.Open(path);
    }
    catch (StoreException e)
    {
        Console.Error.WriteLine($"temporal-dev: --db-filename: {e.Message}");
        return null;
    }
}

static async Task<bool> RestoreAsync(WorkflowEngine engine, SqliteStore store, Task<IReadOnlyList<StoredRun>> loading)
{
    try
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stored = await loading;
        await Console.Out.WriteLineAsync($"temporal-dev: {engine.Restore(store, stored)} (read waited {clock.ElapsedMilliseconds} ms)");
        return true;
    }
    catch (StoreException e)
    {
        await Console.Error.WriteLineAsync($"temporal-dev: --db-filename: {e.Message}");
        return false;
    }
}
