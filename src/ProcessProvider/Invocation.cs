using System.Text.Json;

namespace Lifecycle.ProcessProvider;

/// <summary>One call as GARM makes it: the environment variables and, for CreateInstance, the bootstrap JSON on stdin.</summary>
internal sealed record Invocation
{
    public static readonly string[] InterfaceVersions = ["v0.1.0", "v0.1.1"];

    private static readonly string[] PerInstance = ["DeleteInstance", "GetInstance", "StartInstance", "StopInstance"];

    public string Command { get; init; } = string.Empty;

    public string ControllerId { get; init; } = string.Empty;

    public string PoolId { get; init; } = string.Empty;

    public string InstanceId { get; init; } = string.Empty;

    public string ConfigFile { get; init; } = string.Empty;

    public string InterfaceVersion { get; init; } = string.Empty;

    public BootstrapParams? Bootstrap { get; init; }

    /// <summary>Reads and checks the call (garm-provider-common's rules, except that the config file is optional and an empty pool id is accepted on per-instance commands).</summary>
    public static async Task<Invocation> ReadAsync(Func<string, string?> env, TextReader stdin)
    {
        var call = new Invocation
        {
            Command = env("GARM_COMMAND") ?? string.Empty,
            ControllerId = env("GARM_CONTROLLER_ID") ?? string.Empty,
            PoolId = env("GARM_POOL_ID") ?? string.Empty,
            InstanceId = env("GARM_INSTANCE_ID") ?? string.Empty,
            ConfigFile = env("GARM_PROVIDER_CONFIG_FILE") ?? string.Empty,
            InterfaceVersion = env("GARM_INTERFACE_VERSION") ?? string.Empty,
        };

        if (call.InterfaceVersion.Length > 0 && !InterfaceVersions.Contains(call.InterfaceVersion))
            throw new ProviderFailure($"unsupported interface version: {call.InterfaceVersion}");
        if (call.Command.Length == 0)
            throw new ProviderFailure("missing GARM_COMMAND");
        if (call.ControllerId.Length == 0)
            throw new ProviderFailure("missing GARM_CONTROLLER_ID");
        if (PerInstance.Contains(call.Command) && call.InstanceId.Length == 0)
            throw new ProviderFailure("missing instance ID");
        if (call.Command is "ListInstances" && call.PoolId.Length == 0)
            throw new ProviderFailure("missing pool ID");
        if (call.Command != "CreateInstance")
            return call;

        var text = await stdin.ReadToEndAsync();
        if (string.IsNullOrWhiteSpace(text))
            throw new ProviderFailure("CreateInstance requires data passed into stdin");
        BootstrapParams? bootstrap;
        try
        {
            bootstrap = JsonSerializer.Deserialize<BootstrapParams>(text, Wire.Json);
        }
        catch (JsonException e)
        {
            throw new ProviderFailure($"failed to decode instance params: {e.Message}");
        }

        if (bootstrap is null || bootstrap.Name.Length == 0)
            throw new ProviderFailure("missing bootstrap params");
        if (call.PoolId.Length == 0 && bootstrap.PoolId.Length == 0)
            throw new ProviderFailure("missing pool ID");
        return call with { Bootstrap = bootstrap };
    }
}
