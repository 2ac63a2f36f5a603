using System.Text.Json;
using Lifecycle.Activities.Providers;
using Lifecycle.Workflows.Instances;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Activities;

namespace Lifecycle.Activities.Instances;

/// <summary>
/// The Instance workflow's activities: state changes in the store, and create/delete through the instance's provider.
/// Provider failures come back as results for the workflow to decide on (cleanup, retry, backoff); only a lost store
/// or worker surfaces as an exception, and then the activity's retry changes nothing twice.
/// </summary>
public sealed class InstanceActivities : IInstanceActivities
{
    private const string OutsideWorkflow = "lifecycle";

    private readonly InstanceStore store;
    private readonly ProviderCatalog providers;
    private readonly InstanceActivityOptions options;
    private readonly ILogger<InstanceActivities> logger;

    /// <summary>Activities over the store and the configured providers; throws when the options are unusable.</summary>
    public InstanceActivities(InstanceStore store, ProviderCatalog providers, IOptions<InstanceActivityOptions> options, ILogger<InstanceActivities> logger)
    {
        var settings = options.Value;
        var problems = settings.Validate();
        if (problems.Count > 0)
            throw new OptionsValidationException(InstanceActivityOptions.SectionName, typeof(InstanceActivityOptions), problems);
        this.store = store;
        this.providers = providers;
        this.options = settings;
        this.logger = logger;
    }

    /// <inheritdoc/>
    [Activity("InstanceTransition")]
    public async Task<InstanceTransitionResult> TransitionAsync(InstanceTransition transition)
    {
        var result = await store.TransitionAsync(transition, WorkerId(), CancellationToken());
        if (result.Refusal is not null)
        {
            logger.LogWarning("instance {InstanceId}: transition to {To} not written: {Refusal}", transition.InstanceId, transition.To.ToText(), result.Refusal);
        }
        else if (result.Applied)
        {
            logger.LogInformation(
                "instance {InstanceId}: {From} -> {To}{Fault}",
                transition.InstanceId,
                result.From?.ToText(),
                transition.To.ToText(),
                transition.Fault is null ? string.Empty : $" ({transition.Fault})");
        }
        return result;
    }

    /// <inheritdoc/>
    [Activity("MachineCreate")]
    public async Task<MachineCreateResult> CreateMachineAsync(MachineCreateRequest request)
    {
        var subject = $"instance \"{request.Name}\" create attempt {request.Attempt}";
        var spec = await store.GetMachineSpecAsync(request.InstanceId, CancellationToken());
        if (spec is null)
            return CreateFault($"{subject}: instance {request.InstanceId} is not in the store", cleanedUp: true);
        if (spec.InstanceName != request.Name)
            return CreateFault($"{subject}: the store names instance {request.InstanceId} \"{spec.InstanceName}\", not \"{request.Name}\"", cleanedUp: true);
        if (!TryGetProvider(request.ProviderName, out var provider, out var missing))
            return CreateFault($"{subject}: {missing}", cleanedUp: true);

        var pool = PoolOf(spec);
        var result = await CreateOrAdoptAsync(request, spec, provider, pool, subject);
        if (result.Created)
            return result;

        // I2/I3: whatever a failed create half-made is removed here, in the same activity, by provider id or else by
        // name: one activity per failed attempt instead of two keeps the workflow's history short. A cleanup that
        // fails is reported, and the workflow tries it again before any new create.
        var target = string.IsNullOrEmpty(result.ProviderId) ? request.Name : result.ProviderId;
        try
        {
            await WithHeartbeatAsync(ct => provider.DeleteInstanceAsync(target, pool, ct));
            return result with { CleanedUp = true };
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
        {
            return result with { CleanedUp = true };
        }
        catch (ProviderException e)
        {
            return result with { Fault = $"{result.Fault}; cleanup of {target} failed: {e.Message}" };
        }
    }

    private async Task<MachineCreateResult> CreateOrAdoptAsync(MachineCreateRequest request, InstanceMachineSpec spec, IProvider provider, ProviderPool pool, string subject)
    {
        var token = InstanceToken.Derive(options.InstanceTokenSecret, request.InstanceId);
        await store.SetAgentTokenHashAsync(request.InstanceId, InstanceToken.Hash(token), CancellationToken());

        // Keyed by name: a machine made by an attempt whose worker died before the workflow heard back is adopted,
        // never doubled. A failed look-up is not "absent": creating anyway could make a second machine.
        ProviderInstance? existing;
        try
        {
            existing = await WithHeartbeatAsync(ct => provider.GetInstanceAsync(request.Name, pool, ct));
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
        {
            existing = null;
        }
        catch (ProviderException e)
        {
            return CreateFault($"{subject}: looking for a machine already made under its name failed: {e.Message}", cleanedUp: false);
        }

        if (existing is not null)
        {
            logger.LogInformation("{Subject}: adopting machine {ProviderId} ({Status}) found under its name", subject, existing.ProviderId, existing.Status.ToText());
            return await ResultOfAsync(request, existing, subject, "the machine found under its name");
        }

        var bootstrap = Bootstrap(spec, request, token, pool);
        ProviderInstance created;
        try
        {
            created = await WithHeartbeatAsync(ct => provider.CreateInstanceAsync(bootstrap, CreateTimeout(), ct));
        }
        catch (ProviderException e)
        {
            return CreateFault($"{subject}: {e.Message}", cleanedUp: false);
        }
        return await ResultOfAsync(request, created, subject, "the provider");
    }

    /// <inheritdoc/>
    [Activity("MachineDelete")]
    public async Task<MachineDeleteResult> DeleteMachineAsync(MachineDeleteRequest request)
    {
        var target = string.IsNullOrEmpty(request.ProviderId) ? request.Name : request.ProviderId;
        var subject = $"instance \"{request.Name}\" delete{(request.Force ? " (forced)" : string.Empty)}";
        if (!TryGetProvider(request.ProviderName, out var provider, out var missing))
            return new MachineDeleteResult(Deleted: false, NotFound: false, Fault: $"{subject}: {missing}");

        var spec = await store.GetMachineSpecAsync(request.InstanceId, CancellationToken());
        var pool = spec is null ? null : PoolOf(spec);
        try
        {
            var outcome = await WithHeartbeatAsync(ct => provider.DeleteInstanceAsync(target, pool, ct));
            return new MachineDeleteResult(Deleted: true, NotFound: outcome == DeleteOutcome.AlreadyGone, Fault: null);
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
        {
            return new MachineDeleteResult(Deleted: true, NotFound: true, Fault: null);
        }
        catch (ProviderException e)
        {
            return new MachineDeleteResult(Deleted: false, NotFound: false, Fault: $"{subject}: {e.Message}");
        }
    }

    private static MachineCreateResult CreateFault(string fault, bool cleanedUp) =>
        new(Created: false, ProviderId: null, Status: null, Fault: fault) { CleanedUp = cleanedUp };

    private static ProviderPool PoolOf(InstanceMachineSpec spec)
    {
        using var specs = JsonDocument.Parse(string.IsNullOrWhiteSpace(spec.ProviderExtraSpecs) ? "{}" : spec.ProviderExtraSpecs);
        return new ProviderPool(spec.PresetId?.ToString() ?? string.Empty, specs.RootElement.Clone());
    }

    private static string SpecText(JsonElement? specs, string name, string fallback) =>
        specs is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? fallback
            : fallback;

    private static string WorkerId() =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.Info.WorkflowId ?? OutsideWorkflow : OutsideWorkflow;

    private static CancellationToken CancellationToken() =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : default;

    private static TimeSpan? CreateTimeout() =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.Info.StartToCloseTimeout : null;

    private BootstrapInstance Bootstrap(InstanceMachineSpec spec, MachineCreateRequest request, string token, ProviderPool pool)
    {
        var callback = options.CallbackUrlFor(request.InstanceId).AbsoluteUri;
        return new BootstrapInstance
        {
            Name = request.Name,
            PoolId = pool.Id,
            CallbackUrl = callback,
            MetadataUrl = $"{callback}/metadata",
            InstanceToken = token,
            ExtraSpecs = pool.ExtraSpecs,
            Image = spec.ProviderImage,
            Flavor = spec.ProviderFlavor,

            // GARM's pool defaults; a template states otherwise in its extra specs.
            OsType = SpecText(pool.ExtraSpecs, "os_type", "linux"),
            Arch = SpecText(pool.ExtraSpecs, "os_arch", "amd64"),
            Labels = [$"lifecycle-controller={options.ControllerId}", $"lifecycle-pool={pool.Id}", $"lifecycle-instance={request.InstanceId}"],
        };
    }

    private async Task<MachineCreateResult> ResultOfAsync(MachineCreateRequest request, ProviderInstance machine, string subject, string source)
    {
        await store.RecordProviderDetailsAsync(request.InstanceId, Details(machine), CancellationToken());
        if (machine.Status == InstanceStatus.Error)
        {
            var fault = machine.FaultText.Length > 0 ? machine.FaultText : "no fault given";
            return new MachineCreateResult(Created: false, machine.ProviderId, machine.Status.ToText(), $"{subject}: {source} reports machine {machine.ProviderId} in error: {fault}");
        }
        return new MachineCreateResult(Created: true, machine.ProviderId, machine.Status.ToText(), Fault: null);
    }

    private static Dictionary<string, object?> Details(ProviderInstance machine) => new()
    {
        ["provider_id"] = machine.ProviderId,
        ["status"] = machine.Status.ToText(),
        ["os_type"] = machine.OsType,
        ["os_name"] = machine.OsName,
        ["os_version"] = machine.OsVersion,
        ["os_arch"] = machine.OsArch,
        ["addresses"] = machine.Addresses?.Select(a => new Dictionary<string, string> { ["address"] = a.Address, ["type"] = a.Type }).ToList(),
    };

    private bool TryGetProvider(string name, out IProvider provider, out string problem)
    {
        try
        {
            provider = providers.Get(name);
            problem = string.Empty;
            return true;
        }
        catch (KeyNotFoundException e)
        {
            provider = null!;
            problem = e.Message;
            return false;
        }
    }

    /// <summary>Runs a provider call, reporting the worker alive every <see cref="InstanceActivityOptions.HeartbeatInterval"/> until it ends.</summary>
    private async Task<T> WithHeartbeatAsync<T>(Func<CancellationToken, Task<T>> call)
    {
        if (!ActivityExecutionContext.HasCurrent)
            return await call(default);
        var context = ActivityExecutionContext.Current;
        var work = call(context.CancellationToken);
        while (true)
        {
            context.Heartbeat();

            // WhenAny, not WaitAsync with a timeout: a call that ends just as the wait times out must not look timed out.
            if (await Task.WhenAny(work, Task.Delay(options.HeartbeatInterval)) == work)
                return await work;
        }
    }
}
