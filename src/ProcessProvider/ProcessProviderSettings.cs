using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lifecycle.ProcessProvider;

/// <summary>
/// The provider's config file (<c>GARM_PROVIDER_CONFIG_FILE</c>, JSON, every field optional):
/// <c>{"state_dir": "…", "stop_grace_seconds": 5}</c>. A relative state_dir is relative to the config file.
/// </summary>
internal sealed record ProcessProviderSettings
{
    /// <summary>The default state directory, relative to the working directory when no config file says otherwise.</summary>
    public static readonly string DefaultStateDir = Path.Combine(".lifecycle", "process-provider");

    [JsonPropertyName("state_dir")]
    public string StateDir { get; init; } = string.Empty;

    [JsonPropertyName("stop_grace_seconds")]
    public double StopGraceSeconds { get; init; } = 5;

    /// <summary>Reads the config file; an empty path means defaults; a bad file is an error naming the file and field.</summary>
    public static ProcessProviderSettings Load(string configFile)
    {
        if (string.IsNullOrEmpty(configFile))
            return new ProcessProviderSettings { StateDir = Path.GetFullPath(DefaultStateDir) };
        if (!File.Exists(configFile))
            throw new ProviderFailure($"error accessing config file: {configFile} does not exist");

        ProcessProviderSettings settings;
        var text = File.ReadAllText(configFile);
        try
        {
            settings = string.IsNullOrWhiteSpace(text) ? new() : JsonSerializer.Deserialize<ProcessProviderSettings>(text, Wire.Json) ?? new();
        }
        catch (JsonException e)
        {
            throw new ProviderFailure($"config file {configFile} is not valid JSON: {e.Message}");
        }

        if (settings.StopGraceSeconds is < 0 or > 600)
            throw new ProviderFailure($"config file {configFile}: stop_grace_seconds must be between 0 and 600 (got {settings.StopGraceSeconds})");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(configFile))!;
        var stateDir = string.IsNullOrEmpty(settings.StateDir) ? DefaultStateDir : settings.StateDir;
        return settings with { StateDir = Path.GetFullPath(stateDir, baseDir) };
    }
}

/// <summary>A failure reported to the caller as stderr plus an exit code (1 unless stated).</summary>
internal sealed class ProviderFailure(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Exit codes of the contract.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int NotFound = 30;
    public const int Duplicate = 31;
}
