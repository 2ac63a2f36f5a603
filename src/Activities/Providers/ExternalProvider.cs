using System.Text;
using System.Text.Json;

namespace Lifecycle.Activities.Providers;

/// <summary>
/// <see cref="IProvider"/> over an external executable (GARM's external provider, interface v0.1.0 or v0.1.1):
/// each call runs the executable with the contract's environment and maps its exit code and output.
/// </summary>
public sealed class ExternalProvider : IProvider
{
    /// <summary>How much of a bad answer an error quotes.</summary>
    public const int QuotedOutputBytes = 200;

    /// <summary>How much of stderr an error carries.</summary>
    public const int MaxMessageChars = 2000;

    private static readonly JsonSerializerOptions Json = new()
    {
        // Go's encoding/json matches field names without regard to case; providers written against it rely on that.
        PropertyNameCaseInsensitive = true,
    };

    private readonly ProviderDefinition definition;
    private readonly string controllerId;
    private readonly IReadOnlyDictionary<string, string> hostEnvironment;

    /// <summary>A provider for <paramref name="definition"/>, tagging everything with <paramref name="controllerId"/>.</summary>
    public ExternalProvider(ProviderDefinition definition, string controllerId, IReadOnlyDictionary<string, string>? hostEnvironment = null)
    {
        var problems = definition.Validate();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems), nameof(definition));
        if (string.IsNullOrWhiteSpace(controllerId))
            throw new ArgumentException("controller id must not be empty", nameof(controllerId));
        this.definition = definition;
        this.controllerId = controllerId;
        this.hostEnvironment = hostEnvironment ?? ProviderEnvironment.Host();
    }

    /// <inheritdoc/>
    public string Name => definition.Name;

    /// <summary>The definition this provider runs.</summary>
    public ProviderDefinition Definition => definition;

    /// <inheritdoc/>
    public async Task<ProviderInstance> CreateInstanceAsync(BootstrapInstance bootstrap, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(bootstrap.Name))
            throw new ArgumentException("CreateInstance needs the instance name (bootstrap name is empty)", nameof(bootstrap));
        var call = new Call(ProviderCommand.CreateInstance, $" for instance \"{bootstrap.Name}\"");
        var stdin = JsonSerializer.SerializeToUtf8Bytes(bootstrap, Json);
        var pool = new ProviderPool(bootstrap.PoolId, bootstrap.ExtraSpecs);
        var limit = timeout is { } t && t < definition.Timeout ? t : definition.Timeout;
        var run = await RunAsync(call, instanceId: null, pool, stdin, limit, cancellationToken);
        EnsureSucceeded(call, run);
        return ValidInstance(call, run, Decode<ProviderInstance>(call, run));
    }

    /// <inheritdoc/>
    public async Task<DeleteOutcome> DeleteInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default)
    {
        var call = ForInstance(ProviderCommand.DeleteInstance, instanceId);
        var run = await RunAsync(call, instanceId, pool, stdin: null, definition.Timeout, cancellationToken);
        if (run.Outcome == ProviderRunOutcome.Exited && run.ExitCode == ProviderContract.ExitNotFound)
            return DeleteOutcome.AlreadyGone;
        EnsureSucceeded(call, run);
        return DeleteOutcome.Deleted;
    }

    /// <inheritdoc/>
    public async Task<ProviderInstance> GetInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default)
    {
        var call = ForInstance(ProviderCommand.GetInstance, instanceId);
        var run = await RunAsync(call, instanceId, pool, stdin: null, definition.Timeout, cancellationToken);
        EnsureSucceeded(call, run);
        return ValidInstance(call, run, Decode<ProviderInstance>(call, run));
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ProviderInstance>> ListInstancesAsync(ProviderPool pool, CancellationToken cancellationToken = default)
    {
        var call = new Call(ProviderCommand.ListInstances, $" for pool \"{pool.Id}\"");
        var run = await RunAsync(call, instanceId: null, pool, stdin: null, definition.Timeout, cancellationToken);
        EnsureSucceeded(call, run);
        var instances = Decode<List<ProviderInstance?>>(call, run);
        var valid = new List<ProviderInstance>(instances.Count);
        foreach (var instance in instances)
        {
            if (instance is null)
                throw Invalid(call, run, "the list holds a null instance");
            valid.Add(ValidInstance(call, run, instance));
        }

        return valid;
    }

    /// <inheritdoc/>
    public async Task RemoveAllInstancesAsync(ProviderPool? pool = null, CancellationToken cancellationToken = default)
    {
        var call = new Call(ProviderCommand.RemoveAllInstances, pool is null ? $" for controller \"{controllerId}\"" : $" for pool \"{pool.Id}\"");
        var run = await RunAsync(call, instanceId: null, pool, stdin: null, definition.Timeout, cancellationToken);
        EnsureSucceeded(call, run);
    }

    /// <inheritdoc/>
    public async Task StartInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default)
    {
        var call = ForInstance(ProviderCommand.StartInstance, instanceId);
        var run = await RunAsync(call, instanceId, pool, stdin: null, definition.Timeout, cancellationToken);
        EnsureSucceeded(call, run);
    }

    /// <inheritdoc/>
    public async Task StopInstanceAsync(string instanceId, ProviderPool? pool = null, CancellationToken cancellationToken = default)
    {
        var call = ForInstance(ProviderCommand.StopInstance, instanceId);
        var run = await RunAsync(call, instanceId, pool, stdin: null, definition.Timeout, cancellationToken);
        EnsureSucceeded(call, run);
    }

    /// <inheritdoc/>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        var call = new Call(ProviderCommand.GetVersion, string.Empty);
        var run = await RunAsync(call, instanceId: null, pool: null, stdin: null, definition.Timeout, cancellationToken);
        EnsureSucceeded(call, run);
        return Encoding.UTF8.GetString(run.Stdout).Trim();
    }

    private static Call ForInstance(ProviderCommand command, string instanceId)
    {
        if (string.IsNullOrWhiteSpace(instanceId))
            throw new ArgumentException($"{command.ToText()} needs an instance id (the provider id, or the name when none is known)", nameof(instanceId));
        return new Call(command, $" for instance \"{instanceId}\"");
    }

    private async Task<ProviderRun> RunAsync(Call call, string? instanceId, ProviderPool? pool, byte[]? stdin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var environment = ProviderEnvironment.For(definition, controllerId, call.Command, instanceId, pool, hostEnvironment);
        var run = await ProviderProcess.RunAsync(definition.Executable, environment, stdin, timeout, cancellationToken);
        return run.Outcome switch
        {
            ProviderRunOutcome.NotStarted => throw Error(call, ProviderErrorKind.StartFailed, $"could not run \"{definition.Executable}\": {run.StartError}"),
            ProviderRunOutcome.TimedOut => throw Error(call, ProviderErrorKind.TimedOut, $"timed out after {Seconds(timeout)}; the provider's process tree was killed"),
            _ => run,
        };
    }

    private void EnsureSucceeded(Call call, ProviderRun run)
    {
        if (run.ExitCode == 0)
            return;
        var kind = run.ExitCode switch
        {
            ProviderContract.ExitNotFound => ProviderErrorKind.NotFound,
            ProviderContract.ExitDuplicate => ProviderErrorKind.Duplicate,
            _ => ProviderErrorKind.Failed,
        };
        var label = kind switch
        {
            ProviderErrorKind.NotFound => $"exit {run.ExitCode} (not found)",
            ProviderErrorKind.Duplicate => $"exit {run.ExitCode} (duplicate)",
            _ => $"exit {run.ExitCode}",
        };
        throw Error(call, kind, $"{label}: {Message(run)}", run.ExitCode);
    }

    private T Decode<T>(Call call, ProviderRun run)
        where T : class
    {
        if (run.Stdout.AsSpan().Trim("\t\n\r "u8).IsEmpty)
            throw Invalid(call, run, "printed nothing, expected JSON");
        try
        {
            return JsonSerializer.Deserialize<T>(run.Stdout, Json) ?? throw Invalid(call, run, "printed JSON null");
        }
        catch (JsonException e)
        {
            throw Invalid(call, run, $"printed invalid JSON ({e.Message})");
        }
    }

    private ProviderInstance ValidInstance(Call call, ProviderRun run, ProviderInstance instance) =>
        instance.Problem() is { } problem ? throw Invalid(call, run, $"printed an invalid instance: {problem}") : instance;

    private ProviderException Invalid(Call call, ProviderRun run, string problem) =>
        Error(call, ProviderErrorKind.InvalidOutput, $"{problem}; output began: {Quote(run.Stdout)}");

    private ProviderException Error(Call call, ProviderErrorKind kind, string detail, int? exitCode = null) =>
        new(definition.Name, call.Command, call.Subject, kind, detail, exitCode);

    /// <summary>The first <see cref="QuotedOutputBytes"/> bytes of the output as a JSON string literal, so control bytes stay visible.</summary>
    public static string Quote(byte[] output)
    {
        var head = Encoding.UTF8.GetString(output, 0, Math.Min(output.Length, QuotedOutputBytes));
        return JsonSerializer.Serialize(head, QuoteJson);
    }

    private static readonly JsonSerializerOptions QuoteJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Message(ProviderRun run)
    {
        var text = Encoding.UTF8.GetString(run.Stderr).Trim();
        if (text.Length == 0)
            text = Encoding.UTF8.GetString(run.Stdout).Trim();
        if (text.Length == 0)
            return "(no output)";
        return text.Length > MaxMessageChars ? string.Concat(text.AsSpan(0, MaxMessageChars), "…") : text;
    }

    private static string Seconds(TimeSpan t) =>
        t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.###} s" : $"{t.TotalMilliseconds:0} ms";

    private sealed record Call(ProviderCommand Command, string Subject);
}
