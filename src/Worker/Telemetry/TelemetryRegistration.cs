using Lifecycle.Worker.Configuration;
using Lifecycle.Worker.Temporal;
using Lifecycle.Worker.Tracing;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Lifecycle.Worker.Telemetry;

/// <summary>Logging, traces and metrics, wired once: console logs always, /metrics always, OTLP when configured.</summary>
public static class TelemetryRegistration
{
    /// <summary>Console logging as configured (one line per event, or JSON), with noisy framework categories turned down.</summary>
    public static void ConfigureLifecycleLogging(this ILoggingBuilder logging, LifecycleOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.LogLevel);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        if (options.LogLevel >= LogLevel.Information)
        {
            // Npgsql reports every command at Information; at the default level that is one line per query.
            logging.AddFilter("Npgsql", LogLevel.Warning);
        }
        if (options.JsonLogs)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.IncludeScopes = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        if (options.OtlpEndpoint is not null)
        {
            logging.AddOpenTelemetry(o =>
            {
                o.IncludeScopes = true;
                o.ParseStateValues = true;
                o.AddOtlpExporter(e => e.Endpoint = options.OtlpEndpoint);
            });
        }
    }

    /// <summary>Traces from our sources (client → workflow → activity via the tracing interceptor, Npgsql) and metrics (ours, Temporal's, ASP.NET Core's, Npgsql's).</summary>
    public static IServiceCollection AddLifecycleTelemetry(this IServiceCollection services, LifecycleOptions options)
    {
        var version = typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(LifecycleTelemetry.ServiceName, serviceVersion: version))
            .WithTracing(tracing =>
            {
                tracing.AddSource(LifecycleTelemetry.Name, TracingInterceptor.SourceName, "Npgsql");
                if (options.OtlpEndpoint is not null)
                {
                    tracing.AddOtlpExporter(e => e.Endpoint = options.OtlpEndpoint);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(
                    LifecycleTelemetry.Name,
                    TemporalMetricMeter.MeterName,
                    "Npgsql",
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel");
                metrics.AddPrometheusExporter();
                if (options.OtlpEndpoint is not null)
                {
                    metrics.AddOtlpExporter(e => e.Endpoint = options.OtlpEndpoint);
                }
            });
        return services;
    }
}
