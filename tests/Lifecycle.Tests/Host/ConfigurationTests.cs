using Lifecycle.Worker.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Lifecycle.Tests.Host;

/// <summary>The host's settings: defaults, environment variables, and one clear line for each bad value.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("address without a port", "LIFECYCLE_TEMPORAL_ADDRESS", "localhost", "invalid setting LIFECYCLE_TEMPORAL_ADDRESS (Lifecycle:Temporal:Address): \"localhost\" is not host:port (for example temporal.example.com:7233)")]
    [InlineData("address with a scheme", "LIFECYCLE_TEMPORAL_ADDRESS", "http://t:7233", "invalid setting LIFECYCLE_TEMPORAL_ADDRESS (Lifecycle:Temporal:Address): \"http://t:7233\" is not host:port (for example temporal.example.com:7233)")]
    [InlineData("port out of range", "LIFECYCLE_TEMPORAL_ADDRESS", "t:70000", "invalid setting LIFECYCLE_TEMPORAL_ADDRESS (Lifecycle:Temporal:Address): \"t:70000\" is not host:port (for example temporal.example.com:7233)")]
    [InlineData("database url that is not one", "LIFECYCLE_DATABASE_URL", "nonsense", "invalid setting LIFECYCLE_DATABASE_URL (Lifecycle:Database:Url): the value is not a postgres:// URL or an Npgsql connection string (Format of the initialization string does not conform to specification starting at index 0.)")]
    [InlineData("tls that is not a boolean", "LIFECYCLE_TEMPORAL_TLS", "maybe", "invalid setting LIFECYCLE_TEMPORAL_TLS (Lifecycle:Temporal:Tls): \"maybe\" is not true or false")]
    [InlineData("certificate file missing", "LIFECYCLE_TEMPORAL_TLS_CERT", "/nonexistent/cert.pem", "invalid setting LIFECYCLE_TEMPORAL_TLS_CERT (Lifecycle:Temporal:TlsCert): file \"/nonexistent/cert.pem\" does not exist")]
    [InlineData("api key without a server", "LIFECYCLE_TEMPORAL_API_KEY", "k", "invalid setting LIFECYCLE_TEMPORAL_ADDRESS (Lifecycle:Temporal:Address): is missing: TLS or an API key is set, but they only apply to a configured Temporal server")]
    [InlineData("http url that is not http", "LIFECYCLE_HTTP_URL", "ftp://x", "invalid setting LIFECYCLE_HTTP_URL (Lifecycle:Http:Url): \"ftp://x\" is not an http:// or https:// URL")]
    [InlineData("unknown log level", "LIFECYCLE_LOG_LEVEL", "Chatty", "invalid setting LIFECYCLE_LOG_LEVEL (Lifecycle:Logging:Level): \"Chatty\" is not one of Trace, Debug, Information, Warning, Error, Critical")]
    [InlineData("unknown log format", "LIFECYCLE_LOG_FORMAT", "xml", "invalid setting LIFECYCLE_LOG_FORMAT (Lifecycle:Logging:Format): \"xml\" is not text or json")]
    [InlineData("collector that is not a url", "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", "invalid setting OTEL_EXPORTER_OTLP_ENDPOINT (Lifecycle:Telemetry:OtlpEndpoint): \"collector:4317\" is not an http:// or https:// URL")]
    public void A_bad_setting_stops_start_up_with_one_line_naming_it(string rule, string variable, string value, string expected)
    {
        var error = Assert.Throws<InvalidSettingException>(() => Load(new() { [variable] = value }));

        Assert.True(expected == error.Message, $"{rule}:\n expected {expected}\n actual   {error.Message}");
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_database_password_is_never_echoed()
    {
        var error = Assert.Throws<InvalidSettingException>(() => Load(new() { ["LIFECYCLE_DATABASE_URL"] = "postgres://u:hunter2@h/d?nosuchoption=1" }));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Same(LifecycleSettings.DatabaseUrl, error.Setting);
    }

    [Fact]
    public void Unset_settings_take_the_embedded_defaults()
    {
        var options = Load([]);

        Assert.Null(options.DatabaseConnectionString);
        Assert.Null(options.Temporal.Address);
        Assert.Equal("/srv/checkout/.lifecycle", options.DataDirectory);
        Assert.Equal("default", options.Temporal.Namespace);
        Assert.Equal("lifecycle", options.Temporal.TaskQueue);
        Assert.False(options.Temporal.Tls);
        Assert.Equal(new Uri("http://127.0.0.1:8080"), options.HttpUrl);
        Assert.Equal(LogLevel.Information, options.LogLevel);
        Assert.Null(options.OtlpEndpoint);
    }

    [Fact]
    public void Environment_variables_and_appsettings_keys_both_configure_the_host()
    {
        var fromEnvironment = Load(new()
        {
            ["LIFECYCLE_DATABASE_URL"] = "postgres://app:pw@db:6432/lc",
            ["LIFECYCLE_TEMPORAL_ADDRESS"] = "temporal.internal:7233",
            ["LIFECYCLE_TEMPORAL_API_KEY"] = "key",
            ["LIFECYCLE_LOG_FORMAT"] = "json",
        });
        var fromAppSettings = LifecycleOptions.Load(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Lifecycle:Temporal:Namespace"] = "prod" }).Build(), "/srv");

        Assert.Contains("Host=db", fromEnvironment.DatabaseConnectionString, StringComparison.Ordinal);
        Assert.Equal("temporal.internal:7233", fromEnvironment.Temporal.Address);
        Assert.True(fromEnvironment.Temporal.Tls);
        Assert.True(fromEnvironment.JsonLogs);
        Assert.Equal("prod", fromAppSettings.Temporal.Namespace);
    }

    [Fact]
    public void Every_setting_has_a_lifecycle_variable_and_a_description()
    {
        Assert.All(LifecycleSettings.All, setting =>
        {
            Assert.True(setting.EnvironmentVariable.StartsWith("LIFECYCLE_", StringComparison.Ordinal) || setting.EnvironmentVariable.StartsWith("OTEL_", StringComparison.Ordinal), setting.ToString());
            Assert.StartsWith("Lifecycle:", setting.Key, StringComparison.Ordinal);
            Assert.NotEmpty(setting.Description);
        });
        Assert.Equal(LifecycleSettings.All.Count, LifecycleSettings.All.Select(s => s.EnvironmentVariable).Distinct().Count());
    }

    private static LifecycleOptions Load(Dictionary<string, string?> environment) =>
        LifecycleOptions.Load(new ConfigurationBuilder().AddLifecycleEnvironment(environment).Build(), "/srv/checkout");
}
