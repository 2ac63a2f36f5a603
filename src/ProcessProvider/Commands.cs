using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Lifecycle.ProcessProvider;

/// <summary>The contract's commands, each instance being a local agent process.</summary>
internal sealed class Commands(Invocation call, ProcessProviderSettings settings)
{
    private const string ConfigSchema = """
        {"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"state_dir":{"type":"string","description":"where instance records and agent logs live; relative to this file"},"stop_grace_seconds":{"type":"number","minimum":0,"maximum":600,"description":"SIGTERM to SIGKILL grace when stopping or deleting"}},"additionalProperties":false}
        """;

    private readonly InstanceStore store = new(settings.StateDir);
    private readonly TimeSpan grace = TimeSpan.FromSeconds(settings.StopGraceSeconds);

    public async Task<string> RunAsync() => call.Command switch
    {
        "CreateInstance" => Print(await CreateAsync()),
        "DeleteInstance" => await DeleteAsync(),
        "GetInstance" => Print(Describe(Resolve())),
        "ListInstances" => JsonSerializer.Serialize(List(), Wire.Json),
        "RemoveAllInstances" => await RemoveAllAsync(),
        "StartInstance" => await StartAsync(),
        "StopInstance" => await StopAsync(),
        "GetVersion" => Version(),
        "GetSupportedInterfaceVersions" => JsonSerializer.Serialize(Invocation.InterfaceVersions, Wire.Json),
        "ValidatePoolInfo" => string.Empty,
        "GetConfigJSONSchema" => ConfigSchema,
        "GetExtraSpecsJSONSchema" => """{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}""",
        _ => throw new ProviderFailure($"unknown GARM_COMMAND: {call.Command}"),
    };

    private async Task<InstanceOutput> CreateAsync()
    {
        var bootstrap = call.Bootstrap!;
        InstanceStore.EnsureValidName(bootstrap.Name, "instance name");
        using var held = await store.LockAsync(bootstrap.Name);

        var existing = store.Read(bootstrap.Name);
        if (existing is not null && existing.ControllerId != call.ControllerId)
            throw new ProviderFailure($"instance name \"{bootstrap.Name}\" is taken by controller {existing.ControllerId}", ExitCodes.Duplicate);

        // A repeated create of the same name is answered with the instance it already made; a stopped or dead one
        // is started again, so "create" always leaves one running agent and never a second.
        if (existing is not null && existing.Process.IsAlive)
            return Describe(existing);

        var record = (existing ?? new InstanceRecord
        {
            Name = bootstrap.Name,
            ProviderId = "proc-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..6]),
            ControllerId = call.ControllerId,
            CreatedAt = DateTimeOffset.UtcNow,
        }) with
        {
            PoolId = string.IsNullOrEmpty(bootstrap.PoolId) ? call.PoolId : bootstrap.PoolId,
            CallbackUrl = bootstrap.CallbackUrl,
            InstanceToken = bootstrap.InstanceToken,
            OsArch = bootstrap.Arch,
            Desired = "running",
            Pid = 0,
            StartTime = 0,
        };
        store.Write(record);
        try
        {
            record = await LaunchAsync(record);
        }
        catch (ProviderFailure)
        {
            // Clean up our own partial work before failing, as the contract asks of a create.
            store.Remove(record.Name);
            throw;
        }

        return Describe(record);
    }

    private async Task<InstanceRecord> LaunchAsync(InstanceRecord record)
    {
        var agent = await AgentLauncher.StartAsync(store.RecordPath(record.Name), store.LogPath(record.Name));
        var running = record with { Pid = agent.Pid, StartTime = agent.StartTime, Desired = "running" };
        store.Write(running);
        return running;
    }

    private async Task<string> DeleteAsync()
    {
        var record = Resolve();
        using var held = await store.LockAsync(record.Name);
        if (store.Read(record.Name) is { } current)
        {
            await current.Process.StopGroupAsync(grace);
            store.Remove(current.Name);
        }

        return string.Empty;
    }

    private async Task<string> StopAsync()
    {
        var record = Resolve();
        using var held = await store.LockAsync(record.Name);
        var current = store.Read(record.Name) ?? throw NotFound(call.InstanceId);
        await current.Process.StopGroupAsync(grace);
        store.Write(current with { Desired = "stopped", Pid = 0, StartTime = 0 });
        return string.Empty;
    }

    private async Task<string> StartAsync()
    {
        var record = Resolve();
        using var held = await store.LockAsync(record.Name);
        var current = store.Read(record.Name) ?? throw NotFound(call.InstanceId);
        if (!current.Process.IsAlive)
            await LaunchAsync(current);
        else if (current.Desired != "running")
            store.Write(current with { Desired = "running" });
        return string.Empty;
    }

    private async Task<string> RemoveAllAsync()
    {
        // v0.1.0 removes everything of the controller; v0.1.1 passes the pool, and then only that pool's go.
        var doomed = store.All()
            .Where(r => r.ControllerId == call.ControllerId && (call.PoolId.Length == 0 || r.PoolId == call.PoolId))
            .ToList();
        await Task.WhenAll(doomed.Select(async r =>
        {
            using var held = await store.LockAsync(r.Name);
            if (store.Read(r.Name) is { } current)
            {
                await current.Process.StopGroupAsync(grace);
                store.Remove(current.Name);
            }
        }));
        return string.Empty;
    }

    private List<InstanceOutput> List() =>
        [.. store.All().Where(r => r.ControllerId == call.ControllerId && r.PoolId == call.PoolId).Select(Describe)];

    private InstanceRecord Resolve() =>
        store.Resolve(call.InstanceId, call.ControllerId) ?? throw NotFound(call.InstanceId);

    private static ProviderFailure NotFound(string id) => new($"instance \"{id}\" not found", ExitCodes.NotFound);

    /// <summary>The instance as the contract shows it, its status read from whether its agent is alive.</summary>
    private static InstanceOutput Describe(InstanceRecord record)
    {
        var alive = record.Process.IsAlive;
        var (status, fault) = (alive, record.Desired, record.Pid) switch
        {
            (true, _, _) => ("running", null),
            (false, "stopped", _) => ("stopped", null),
            (false, _, 0) => ("unknown", null),
            _ => ("error", $"agent process {record.Pid} is gone; see the agent log"),
        };
        return new InstanceOutput
        {
            ProviderId = record.ProviderId,
            Name = record.Name,
            OsType = "linux",
            OsName = "linux",
            OsVersion = Environment.OSVersion.Version.ToString(),
            OsArch = string.IsNullOrEmpty(record.OsArch) ? HostArch() : record.OsArch,
            Addresses = [new AddressOutput("127.0.0.1", "private")],
            Status = status,
            ProviderFault = fault is null ? null : Encoding.UTF8.GetBytes(fault),
        };
    }

    private static string HostArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "i386",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static string Print(InstanceOutput instance) => JsonSerializer.Serialize(instance, Wire.Json);

    private static string Version() =>
        "v" + (typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");
}
