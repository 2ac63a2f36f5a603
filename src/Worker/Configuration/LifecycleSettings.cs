using Microsoft.Extensions.Configuration;

namespace Lifecycle.Worker.Configuration;

/// <summary>Every setting of the host. Add a setting here and read it in <see cref="LifecycleOptions.Load"/>.</summary>
public static class LifecycleSettings
{
    public static readonly Setting DatabaseUrl = new(
        "LIFECYCLE_DATABASE_URL", "Lifecycle:Database:Url", null,
        "PostgreSQL to use, as postgres://user:password@host:port/database or an Npgsql connection string. Unset: a private cluster under the data folder.");

    public static readonly Setting DataDirectory = new(
        "LIFECYCLE_DATA_DIR", "Lifecycle:DataDirectory", ".lifecycle",
        "Folder for the embedded PostgreSQL cluster and the embedded Temporal database (relative to the working directory).");

    public static readonly Setting TemporalAddress = new(
        "LIFECYCLE_TEMPORAL_ADDRESS", "Lifecycle:Temporal:Address", null,
        "Temporal frontend host:port. Unset: the host starts the dev server from temporal-dev/ on a free port.");

    public static readonly Setting TemporalNamespace = new(
        "LIFECYCLE_TEMPORAL_NAMESPACE", "Lifecycle:Temporal:Namespace", "default", "Temporal namespace.");

    public static readonly Setting TemporalTaskQueue = new(
        "LIFECYCLE_TEMPORAL_TASK_QUEUE", "Lifecycle:Temporal:TaskQueue", "lifecycle", "Task queue the worker polls.");

    public static readonly Setting TemporalApiKey = new(
        "LIFECYCLE_TEMPORAL_API_KEY", "Lifecycle:Temporal:ApiKey", null, "API key for Temporal Cloud (turns TLS on).");

    public static readonly Setting TemporalTls = new(
        "LIFECYCLE_TEMPORAL_TLS", "Lifecycle:Temporal:Tls", "false", "Connect to Temporal over TLS (true/false); implied by an API key or a client certificate.");

    public static readonly Setting TemporalTlsCert = new(
        "LIFECYCLE_TEMPORAL_TLS_CERT", "Lifecycle:Temporal:TlsCert", null, "Client certificate (PEM file) for mTLS; needs LIFECYCLE_TEMPORAL_TLS_KEY.");

    public static readonly Setting TemporalTlsKey = new(
        "LIFECYCLE_TEMPORAL_TLS_KEY", "Lifecycle:Temporal:TlsKey", null, "Client private key (PEM file) for mTLS; needs LIFECYCLE_TEMPORAL_TLS_CERT.");

    public static readonly Setting TemporalDevLauncher = new(
        "LIFECYCLE_TEMPORAL_DEV_LAUNCHER", "Lifecycle:Temporal:DevLauncher", null,
        "Launcher of the embedded Temporal dev server. Unset: temporal-dev/temporal of the checkout the host runs from.");

    public static readonly Setting HttpUrl = new(
        "LIFECYCLE_HTTP_URL", "Lifecycle:Http:Url", "http://127.0.0.1:8080", "Where the HTTP API, /healthz and /metrics listen (port 0 picks a free port).");

    public static readonly Setting LogLevel = new(
        "LIFECYCLE_LOG_LEVEL", "Lifecycle:Logging:Level", "Information", "Minimum log level: Trace, Debug, Information, Warning, Error or Critical.");

    public static readonly Setting LogFormat = new(
        "LIFECYCLE_LOG_FORMAT", "Lifecycle:Logging:Format", "text", "Console log format: text (one line per event) or json (structured).");

    public static readonly Setting OtlpEndpoint = new(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "Lifecycle:Telemetry:OtlpEndpoint", null,
        "OpenTelemetry collector (standard variable); when set, traces, metrics and logs are exported over OTLP.");

    public static readonly Setting ControllerId = new(
        "LIFECYCLE_CONTROLLER_ID", "Lifecycle:ControllerId", null,
        "This installation's id, tagged on every machine (GARM_CONTROLLER_ID). Unset: made once and kept in the data folder.");

    public static readonly Setting InstanceTokenSecret = new(
        "LIFECYCLE_INSTANCE_TOKEN_SECRET", "Lifecycle:InstanceTokenSecret", null,
        "Secret (32+ characters) the per-instance agent tokens are derived from. Unset: made once and kept in the data folder.");

    public static readonly Setting CallbackBaseUrl = new(
        "LIFECYCLE_CALLBACK_BASE_URL", "Lifecycle:CallbackBaseUrl", null,
        "Base URL agents call back on (…/api/v1/instances/{id}/ready). Unset: the HTTP URL.");

    public static readonly Setting ReconcileInterval = new(
        "LIFECYCLE_RECONCILE_INTERVAL", "Lifecycle:Prebuilds:ReconcileInterval", "00:01:00",
        "How often the reconcile-all schedule runs a prebuild reconciliation pass (hh:mm:ss).");

    public static readonly Setting ApiToken = new(
        "LIFECYCLE_API_TOKEN", "Lifecycle:Api:Token", null,
        "Bearer token of the HTTP API (16+ characters). Unset with embedded Temporal: made once, kept in the data folder (api-token) and printed at start; required with a configured Temporal server.");

    public static readonly Setting WorkerCachedWorkflows = new(
        "LIFECYCLE_WORKER_CACHED_WORKFLOWS", "Lifecycle:Worker:CachedWorkflows", "1000",
        "Workflow runs the worker keeps in memory between their tasks; a run woken after eviction replays its history (under 100 events).");

    public static readonly Setting WorkerWorkflowPollers = new(
        "LIFECYCLE_WORKER_WORKFLOW_POLLERS", "Lifecycle:Worker:WorkflowPollers", "10",
        "Workflow-task long polls held open (idle ones cost the server nothing); a cron minute's burst of autostarts is dispatched through them.");

    public static readonly Setting WorkerWorkflowTaskSlots = new(
        "LIFECYCLE_WORKER_WORKFLOW_TASK_SLOTS", "Lifecycle:Worker:WorkflowTaskSlots", "100",
        "Workflow tasks the worker runs at once.");

    public static readonly Setting WorkerLocalActivitySlots = new(
        "LIFECYCLE_WORKER_LOCAL_ACTIVITY_SLOTS", "Lifecycle:Worker:LocalActivitySlots", "100",
        "Store calls (local activities) in flight at once; keep within the database pool (Npgsql's default: 100 connections).");

    public static readonly Setting WorkerActivitySlots = new(
        "LIFECYCLE_WORKER_ACTIVITY_SLOTS", "Lifecycle:Worker:ActivitySlots", "100",
        "Provider calls and other activities in flight at once (each provider call is a process).");

    /// <summary>Every setting, in the order the README documents them.</summary>
    public static IReadOnlyList<Setting> All { get; } =
    [
        DatabaseUrl, DataDirectory, TemporalAddress, TemporalNamespace, TemporalTaskQueue, TemporalApiKey, TemporalTls,
        TemporalTlsCert, TemporalTlsKey, TemporalDevLauncher, HttpUrl, LogLevel, LogFormat, OtlpEndpoint, ControllerId,
        InstanceTokenSecret, CallbackBaseUrl, ReconcileInterval,
        ApiToken,
        WorkerCachedWorkflows, WorkerWorkflowPollers, WorkerWorkflowTaskSlots, WorkerLocalActivitySlots, WorkerActivitySlots,
    ];

    /// <summary>
    /// Maps each setting's flat environment variable onto its configuration key, above appsettings.json and below the
    /// command line (<c>--Lifecycle:Temporal:Address=…</c>), so either spelling works.
    /// </summary>
    public static IConfigurationBuilder AddLifecycleEnvironment(this IConfigurationBuilder configuration, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var values = new Dictionary<string, string?>();
        foreach (var setting in All)
        {
            var value = environment is null ? Environment.GetEnvironmentVariable(setting.EnvironmentVariable) : environment.GetValueOrDefault(setting.EnvironmentVariable);
            if (value is not null)
            {
                values[setting.Key] = value;
            }
        }
        return configuration.AddInMemoryCollection(values);
    }
}
