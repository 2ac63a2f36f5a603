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

using var engine = new WorkflowEngine(options);
using var store = options.DbFilename is null ? null : OpenStore(options.DbFilename, engine);
if (options.DbFilename is not null && store is null) return 1;
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
if (engine.Persistent) router.AfterEachCall = engine.Commit;
builder.Services.AddSingleton(router);
builder.Services.AddSingleton<IServiceMethodProvider<TemporalGrpcService>, DescriptorMethodProvider>();
var app = builder.Build();
app.MapGrpcService<TemporalGrpcService>();
await Console.Out.WriteLineAsync(
    $"temporal-dev {WorkflowEngine.ServerVersion}: listening on {options.Ip}:{options.Port} (time skipping {(options.TimeSkipping ? "on" : "off")}; namespaces {string.Join(", ", options.Namespaces)})");
await app.RunAsync();
return 0;

// A file that is not ours, too new, corrupt or in use stops the launch: never a silent fresh start.
static SqliteStore? OpenStore(string path, WorkflowEngine engine)
{
    SqliteStore? store = null;
    try
    {
        store = SqliteStore.Open(path);
        engine.Restore(store);
        return store;
    }
    catch (StoreException e)
    {
        store?.Dispose();
        Console.Error.WriteLine($"temporal-dev: --db-filename: {e.Message}");
        return null;
    }
}
