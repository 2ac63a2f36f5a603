namespace Lifecycle.Worker.Configuration;

/// <summary>
/// One configuration setting: its environment variable (<c>LIFECYCLE_…</c>), its key in appsettings.json, its default
/// and what it means. The catalog in <see cref="LifecycleSettings"/> is the single list the host reads, validates and
/// documents.
/// </summary>
public sealed record Setting(string EnvironmentVariable, string Key, string? Default, string Description)
{
    /// <summary>How a setting is named in error messages: the variable first, since that is what operators set.</summary>
    public override string ToString() => $"{EnvironmentVariable} ({Key})";
}

/// <summary>A setting is missing or has a value the host cannot use. The message is the one line start-up prints.</summary>
public sealed class InvalidSettingException : Exception
{
    public InvalidSettingException(Setting setting, string problem)
        : base($"invalid setting {setting}: {problem}")
    {
        Setting = setting;
    }

    public Setting Setting { get; }
}
