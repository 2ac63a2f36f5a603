using System.Runtime.InteropServices;
using Lifecycle.Activities.Store;
using Lifecycle.Worker.Api;
using Lifecycle.Worker.Configuration;
using Lifecycle.Worker.Provisioning;
using Lifecycle.Worker.Telemetry;
using Lifecycle.Worker.Temporal;
using Lifecycle.Worker.Tracing;
using Npgsql;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;

namespace Lifecycle.Worker.Hosting;

/// <summary>
/// Start-up in order — settings, store (embedded PostgreSQL or the configured one, migrated), Temporal (embedded dev
/// server or the configured cluster, connected) — then the web host with the worker, /healthz and /metrics. Anything
/// wrong before the host runs ends the process with one line on stderr naming what to fix.
/// </summary>
public static class LifecycleHost
{
    /// <summary>Exit code for a missing or bad setting.</summary>
    public const int InvalidSettingExitCode = 2;

    /// <summary>Exit code for a dependency that could not be brought up (PostgreSQL, Temporal).</summary>
    public const int StartupFailedExitCode = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddLifecycleEnvironment();
        builder.Configuration.AddCommandLine(args);
        LifecycleOptions options;
        ApiToken apiToken;
        try
        {
            options = LifecycleOptions.Load(builder.Configuration);
            apiToken = ApiToken.Resolve(builder.Configuration[LifecycleSettings.ApiToken.Key], options);
            _ = WorkerTuning.Load(builder.Configuration);
        }
        catch (InvalidSettingException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return InvalidSettingExitCode;
        }

        builder.Logging.ConfigureLifecycleLogging(options);
        using var loggerFactory = LoggerFactory.Create(logging => logging.ConfigureLifecycleLogging(options));
        var logger = loggerFactory.CreateLogger("Lifecycle.Startup");

        StoreBootstrap? store = null;
        TemporalDevServer? devServer = null;
        try
        {
            ITemporalClient client;
            using (var interrupted = new CancellationTokenSource())
            using (PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt(interrupted)))
            using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt(interrupted)))
            {
                store = await StoreBootstrap.StartAsync(options, logger, interrupted.Token);
                var address = options.Temporal.Address;
                if (address is null)
                {
                    var launcher = options.Temporal.DevLauncher ?? TemporalDevServer.FindLauncher(Environment.CurrentDirectory)
                        ?? throw new TemporalStartupException(
                            $"embedded Temporal: no temporal-dev/temporal launcher in {Environment.CurrentDirectory} or its parents; run from the checkout, set LIFECYCLE_TEMPORAL_DEV_LAUNCHER, or set LIFECYCLE_TEMPORAL_ADDRESS to use a Temporal server");
                    devServer = await TemporalDevServer.StartAsync(
                        launcher, options.DataDirectory, options.Temporal.Namespace, WorkerRegistrations.SearchAttributes, logger, interrupted.Token);
                    address = devServer.Address;
                }
                client = await ConnectTemporalAsync(options.Temporal, address, loggerFactory, interrupted.Token);
            }

            var app = Build(builder, options, store.ConnectionString, client, apiToken);
            logger.LogInformation(
                "Lifecycle worker: task queue {TaskQueue} on Temporal {Address} (namespace {Namespace}), store {Store}, HTTP {Http}",
                options.Temporal.TaskQueue, client.Connection.Options.TargetHost, options.Temporal.Namespace,
                store.Cluster is null ? "LIFECYCLE_DATABASE_URL" : $"embedded PostgreSQL on 127.0.0.1:{store.Cluster.Port}", options.HttpUrl);
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is StoreStartupException or TemporalStartupException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return StartupFailedExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("start-up interrupted");
            return StartupFailedExitCode;
        }
        finally
        {
            // Reverse order of start: the worker has stopped, then Temporal, then the store.
            if (devServer is not null)
            {
                await devServer.DisposeAsync();
            }
            if (store is not null)
            {
                await store.DisposeAsync();
            }
        }
    }

    private static Action<PosixSignalContext> Interrupt(CancellationTokenSource source) => context =>
    {
        context.Cancel = true;
        source.Cancel();
    };

    private static async Task<ITemporalClient> ConnectTemporalAsync(TemporalOptions temporal, string address, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var runtime = new TemporalRuntime(new TemporalRuntimeOptions
        {
            Telemetry = new TelemetryOptions
            {
                Metrics = new MetricsOptions { CustomMetricMeter = new TemporalMetricMeter(TemporalMetricMeter.Meter) },
            },
        });
        var connect = new TemporalClientConnectOptions(address)
        {
            Namespace = temporal.Namespace,
            Runtime = runtime,
            LoggerFactory = loggerFactory,
            // The tracing interceptor is also a worker interceptor: the worker picks it up from the client.
            Interceptors = [new TracingInterceptor()],
            ApiKey = temporal.ApiKey,
            Tls = !temporal.Tls ? null : new TlsOptions
            {
                ClientCert = temporal.TlsCertFile is null ? null : await File.ReadAllBytesAsync(temporal.TlsCertFile, cancellationToken),
                ClientPrivateKey = temporal.TlsKeyFile is null ? null : await File.ReadAllBytesAsync(temporal.TlsKeyFile, cancellationToken),
            },
        };
        try
        {
            return await TemporalClient.ConnectAsync(connect);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new TemporalStartupException($"cannot reach Temporal at {address} (LIFECYCLE_TEMPORAL_ADDRESS): {e.Message.Split('\n')[0]}");
        }
    }

    private static WebApplication Build(WebApplicationBuilder builder, LifecycleOptions options, string connectionString, ITemporalClient client, ApiToken apiToken)
    {
        builder.WebHost.UseUrls(options.HttpUrl.ToString());
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => StoreDataSource.Create(connectionString, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(client);
        builder.Services.AddLifecycleTelemetry(options);
        builder.Services.AddProvisioning(builder.Configuration, options);
        builder.Services.AddHostedTemporalWorker(options.Temporal.TaskQueue).AddLifecycleWorkflows()
            .ConfigureOptions(worker => WorkerTuning.Load(builder.Configuration).ApplyTo(worker));
        builder.Services.AddLifecycleApi(apiToken);

        var app = builder.Build();
        app.MapLifecycleHealth();
        app.MapInstanceReady();
        app.MapLifecycleApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
