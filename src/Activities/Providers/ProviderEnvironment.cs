using System.Collections;
using System.Text;
using System.Text.Json;

namespace Lifecycle.Activities.Providers;

/// <summary>
/// Builds the replaced environment a provider runs with (GARM §8.2): the contract's variables for the command, the
/// proxy variables and the configured pass-through prefixes — nothing else, and never a host variable named GARM*.
/// </summary>
public static class ProviderEnvironment
{
    private static readonly string[] ProxyVariables = ["http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"];

    /// <summary>The host variables a provider inherits: proxies and those matching a configured prefix, GARM* excluded.</summary>
    public static Dictionary<string, string> PassThrough(IReadOnlyDictionary<string, string> host, IReadOnlyList<string> prefixes)
    {
        var passed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in host)
        {
            if (name.StartsWith("GARM", StringComparison.Ordinal))
                continue;
            if (ProxyVariables.Contains(name, StringComparer.Ordinal) || prefixes.Any(p => p.Length > 0 && name.StartsWith(p, StringComparison.Ordinal)))
                passed[name] = value;
        }

        return passed;
    }

    /// <summary>The whole environment for one call: pass-through first, then the contract's variables (which win).</summary>
    public static Dictionary<string, string> For(
        ProviderDefinition provider,
        string controllerId,
        ProviderCommand command,
        string? instanceId,
        ProviderPool? pool,
        IReadOnlyDictionary<string, string> host)
    {
        var env = PassThrough(host, provider.EnvironmentPrefixes);
        env[ProviderContract.Variables.Command] = command.ToText();
        env[ProviderContract.Variables.ControllerId] = controllerId;
        env[ProviderContract.Variables.ConfigFile] = provider.ConfigFile;
        env[ProviderContract.Variables.InterfaceVersion] = provider.EffectiveInterfaceVersion;

        var perInstance = command is ProviderCommand.DeleteInstance or ProviderCommand.GetInstance
            or ProviderCommand.StartInstance or ProviderCommand.StopInstance;
        if (perInstance)
            env[ProviderContract.Variables.InstanceId] = instanceId ?? string.Empty;

        // v0.1.0 sends the pool only where the command is about a pool; v0.1.1 sends it (and its extra specs) to
        // every command but GetVersion, empty and "null" when the caller has no pool.
        var poolCommand = command is ProviderCommand.CreateInstance or ProviderCommand.ListInstances;
        if (provider.SpeaksV011 && command != ProviderCommand.GetVersion)
        {
            env[ProviderContract.Variables.PoolId] = pool?.Id ?? string.Empty;
            env[ProviderContract.Variables.PoolExtraSpecs] = EncodeExtraSpecs(pool?.ExtraSpecs);
        }
        else if (poolCommand)
        {
            env[ProviderContract.Variables.PoolId] = pool?.Id ?? string.Empty;
        }

        return env;
    }

    /// <summary>Base64 (standard alphabet) of the extra specs JSON, as GARM sends it; absent specs encode <c>null</c>.</summary>
    public static string EncodeExtraSpecs(JsonElement? extraSpecs)
    {
        var json = extraSpecs is { ValueKind: not JsonValueKind.Undefined } specs ? specs.GetRawText() : "null";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>This process's environment as a dictionary.</summary>
    public static Dictionary<string, string> Host()
    {
        var host = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value)
                host[name] = value;
        }

        return host;
    }
}
