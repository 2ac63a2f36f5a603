using System.Globalization;
using Lifecycle.Activities.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Lifecycle.Worker.Configuration;

/// <summary>The host's validated configuration. Built once at start by <see cref="Load"/>; never half-valid.</summary>
public sealed record LifecycleOptions
{
    /// <summary>Npgsql connection string, or null for the embedded cluster.</summary>
    public string? DatabaseConnectionString { get; init; }

    /// <summary>Absolute path of the data folder.</summary>
    required public string DataDirectory { get; init; }

    required public TemporalOptions Temporal { get; init; }

    required public Uri HttpUrl { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public bool JsonLogs { get; init; }

    /// <summary>OTLP collector endpoint, or null when telemetry is only served on /metrics.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>Reads and checks every setting; the first bad one throws <see cref="InvalidSettingException"/>.</summary>
    public static LifecycleOptions Load(IConfiguration configuration, string? workingDirectory = null)
    {
        workingDirectory ??= Environment.CurrentDirectory;
        string? Value(Setting setting) => configuration[setting.Key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : setting.Default;

        string? connectionString = null;
        if (Value(LifecycleSettings.DatabaseUrl) is { } url)
        {
            try
            {
                connectionString = DatabaseUrl.ToConnectionString(url);
            }
            catch (FormatException e)
            {
                // The value may hold a password: name the problem, never echo it.
                throw new InvalidSettingException(LifecycleSettings.DatabaseUrl, $"the value {e.Message}");
            }
        }

        var dataDirectory = Path.GetFullPath(Value(LifecycleSettings.DataDirectory)!, workingDirectory);

        var address = Value(LifecycleSettings.TemporalAddress);
        if (address is not null && !IsHostAndPort(address))
        {
            throw new InvalidSettingException(LifecycleSettings.TemporalAddress, $"\"{address}\" is not host:port (for example temporal.example.com:7233)");
        }
        var @namespace = Required(LifecycleSettings.TemporalNamespace, Value(LifecycleSettings.TemporalNamespace));
        var taskQueue = Required(LifecycleSettings.TemporalTaskQueue, Value(LifecycleSettings.TemporalTaskQueue));
        var tlsText = Value(LifecycleSettings.TemporalTls)!;
        if (!bool.TryParse(tlsText, out var tls))
        {
            throw new InvalidSettingException(LifecycleSettings.TemporalTls, $"\"{tlsText}\" is not true or false");
        }
        var cert = ExistingFile(LifecycleSettings.TemporalTlsCert, Value(LifecycleSettings.TemporalTlsCert), workingDirectory);
        var key = ExistingFile(LifecycleSettings.TemporalTlsKey, Value(LifecycleSettings.TemporalTlsKey), workingDirectory);
        if ((cert is null) != (key is null))
        {
            var missing = cert is null ? LifecycleSettings.TemporalTlsCert : LifecycleSettings.TemporalTlsKey;
            throw new InvalidSettingException(missing, "is missing: a client certificate and its key must be set together");
        }
        var apiKey = Value(LifecycleSettings.TemporalApiKey);
        if ((apiKey is not null || cert is not null) && address is null)
        {
            throw new InvalidSettingException(LifecycleSettings.TemporalAddress, "is missing: TLS or an API key is set, but they only apply to a configured Temporal server");
        }
        var launcher = Value(LifecycleSettings.TemporalDevLauncher) is { } l ? Path.GetFullPath(l, workingDirectory) : null;

        var httpText = Value(LifecycleSettings.HttpUrl)!;
        if (!Uri.TryCreate(httpText, UriKind.Absolute, out var httpUrl) || (httpUrl.Scheme != Uri.UriSchemeHttp && httpUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidSettingException(LifecycleSettings.HttpUrl, $"\"{httpText}\" is not an http:// or https:// URL");
        }

        var levelText = Value(LifecycleSettings.LogLevel)!;
        if (!Enum.TryParse<LogLevel>(levelText, ignoreCase: true, out var level) || level == LogLevel.None || !Enum.IsDefined(level))
        {
            throw new InvalidSettingException(LifecycleSettings.LogLevel, $"\"{levelText}\" is not one of Trace, Debug, Information, Warning, Error, Critical");
        }
        var format = Value(LifecycleSettings.LogFormat)!;
        if (format is not ("text" or "json"))
        {
            throw new InvalidSettingException(LifecycleSettings.LogFormat, $"\"{format}\" is not text or json");
        }

        Uri? otlp = null;
        if (Value(LifecycleSettings.OtlpEndpoint) is { } otlpText
            && (!Uri.TryCreate(otlpText, UriKind.Absolute, out otlp) || (otlp.Scheme != Uri.UriSchemeHttp && otlp.Scheme != Uri.UriSchemeHttps)))
        {
            throw new InvalidSettingException(LifecycleSettings.OtlpEndpoint, $"\"{otlpText}\" is not an http:// or https:// URL");
        }

        return new LifecycleOptions
        {
            DatabaseConnectionString = connectionString,
            DataDirectory = dataDirectory,
            Temporal = new TemporalOptions
            {
                Address = address,
                Namespace = @namespace,
                TaskQueue = taskQueue,
                Tls = tls || apiKey is not null || cert is not null,
                ApiKey = apiKey,
                TlsCertFile = cert,
                TlsKeyFile = key,
                DevLauncher = launcher,
            },
            HttpUrl = httpUrl,
            LogLevel = level,
            JsonLogs = format == "json",
            OtlpEndpoint = otlp,
        };
    }

    private static string Required(Setting setting, string? value) =>
        value ?? throw new InvalidSettingException(setting, "is missing");

    private static string? ExistingFile(Setting setting, string? value, string workingDirectory)
    {
        if (value is null)
        {
            return null;
        }
        var path = Path.GetFullPath(value, workingDirectory);
        return File.Exists(path) ? path : throw new InvalidSettingException(setting, $"file \"{path}\" does not exist");
    }

    private static bool IsHostAndPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0
            && !address.Contains("://", StringComparison.Ordinal)
            && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535;
    }
}

/// <summary>Where and how the worker reaches Temporal.</summary>
public sealed record TemporalOptions
{
    /// <summary>host:port, or null for the embedded dev server.</summary>
    public string? Address { get; init; }

    required public string Namespace { get; init; }

    required public string TaskQueue { get; init; }

    public bool Tls { get; init; }

    public string? ApiKey { get; init; }

    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>Explicit launcher path; null means temporal-dev/temporal found from the working directory.</summary>
    public string? DevLauncher { get; init; }
}
