namespace Lifecycle.Activities.Providers;

/// <summary>
/// One configured provider (GARM's external provider config): found by <see cref="Name"/>, run as
/// <see cref="Executable"/> with <see cref="ConfigFile"/> passed through, killed after <see cref="Timeout"/>.
/// </summary>
public sealed record ProviderDefinition
{
    /// <summary>The default time a provider call may take before its process tree is killed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The name presets and templates use to pick this provider (e.g. <c>lxd</c>, <c>process</c>).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Path of the provider executable; run with no arguments.</summary>
    public string Executable { get; init; } = string.Empty;

    /// <summary>The provider's own configuration file, passed as <c>GARM_PROVIDER_CONFIG_FILE</c> (empty: none).</summary>
    public string ConfigFile { get; init; } = string.Empty;

    /// <summary><c>v0.1.0</c> (also when empty) or <c>v0.1.1</c>.</summary>
    public string InterfaceVersion { get; init; } = ProviderContract.InterfaceV010;

    /// <summary>How long one call may run; the process tree is killed when it is exceeded.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// Prefixes of host environment variables passed through to the provider (GARM's <c>environment_variables</c>);
    /// the provider otherwise sees only the contract's variables and the proxy variables. Names starting with GARM are
    /// never passed through.
    /// </summary>
    public IReadOnlyList<string> EnvironmentPrefixes { get; init; } = [];

    /// <summary>The interface version actually sent (<c>v0.1.0</c> for an empty setting).</summary>
    public string EffectiveInterfaceVersion =>
        string.IsNullOrEmpty(InterfaceVersion) ? ProviderContract.InterfaceV010 : InterfaceVersion;

    /// <summary>True when the v0.1.1 variables (pool id and extra specs on every per-pool command) are sent.</summary>
    public bool SpeaksV011 => EffectiveInterfaceVersion == ProviderContract.InterfaceV011;

    /// <summary>Problems with this definition, each naming the field and the provider; empty when it can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        var who = $"provider \"{Name}\"";
        if (string.IsNullOrWhiteSpace(Name))
            problems.Add("provider name must not be empty");
        if (string.IsNullOrWhiteSpace(Executable))
        {
            problems.Add($"{who}: executable must be set");
        }
        else if (!Path.IsPathFullyQualified(Executable))
        {
            problems.Add($"{who}: executable \"{Executable}\" must be an absolute path");
        }
        else if (!File.Exists(Executable))
        {
            problems.Add($"{who}: executable \"{Executable}\" does not exist");
        }
        else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(Executable) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            problems.Add($"{who}: executable \"{Executable}\" is not executable (mode {Convert.ToString((int)File.GetUnixFileMode(Executable), 8)})");
        }

        if (!string.IsNullOrEmpty(ConfigFile))
        {
            if (!Path.IsPathFullyQualified(ConfigFile))
                problems.Add($"{who}: config file \"{ConfigFile}\" must be an absolute path");
            else if (!File.Exists(ConfigFile))
                problems.Add($"{who}: config file \"{ConfigFile}\" does not exist");
        }

        if (EffectiveInterfaceVersion is not (ProviderContract.InterfaceV010 or ProviderContract.InterfaceV011))
            problems.Add($"{who}: interface version \"{InterfaceVersion}\" is not supported (use {ProviderContract.InterfaceV010} or {ProviderContract.InterfaceV011})");
        if (Timeout <= TimeSpan.Zero)
            problems.Add($"{who}: timeout must be positive (got {Timeout})");
        return problems;
    }
}

/// <summary>The pool (our preset) a call is about: its id and its opaque extra specs (sent base64 under v0.1.1).</summary>
public sealed record ProviderPool(string Id, System.Text.Json.JsonElement? ExtraSpecs = null);
