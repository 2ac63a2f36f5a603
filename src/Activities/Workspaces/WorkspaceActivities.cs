using System.Collections.Concurrent;
using System.Text.Json;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Activities;

namespace Lifecycle.Activities.Workspaces;

/// <summary>
/// The workspace phase's activities: the store reads and writes of <see cref="WorkspaceStore"/> and the machine's start
/// and stop through its provider. A provider error is a result the workflow records on the build's job, not an exception.
/// </summary>
public sealed class WorkspaceActivities(WorkspaceStore store, InstanceStore instances, ProviderCatalog providers, ILogger<WorkspaceActivities>? logger = null)
    : IWorkspaceActivities
{
    /// <summary>How often a provider call in flight reports the worker alive (the workflow allows 30 s between reports).</summary>
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long the provisioner gate waits for a provider's GetVersion before calling it not live.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger logger = logger ?? NullLogger<WorkspaceActivities>.Instance;

    // When each provider last answered the gate's probe (wall clock of this worker): Coder's provisioner last_seen_at.
    private readonly ConcurrentDictionary<string, DateTimeOffset> providerSeenAt = new(StringComparer.Ordinal);

    // The probe in flight per provider: the gates of a burst (a cron minute's autostarts) share one GetVersion call
    // instead of each starting the provider's process. Its result is the refusal, or null when the provider answered.
    private readonly ConcurrentDictionary<string, Task<string?>> probes = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    [Activity("WorkspaceLoad")]
    public async Task<WorkspaceSnapshot?> LoadAsync(WorkspaceLoadRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = await store.LoadAsync(request.InstanceId, CancellationToken());
        return snapshot is null ? null : snapshot with { ReadAt = DateTimeOffset.UtcNow };
    }

    /// <inheritdoc/>
    [Activity("WorkspaceBuildBegin")]
    public async Task<WorkspaceBuildBegun> BeginBuildAsync(WorkspaceBuildBegin request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var begun = await store.BeginBuildAsync(request, WorkerId(), CancellationToken());
        if (begun.Refusal is not null)
            logger.LogWarning("workspace {InstanceId}: build {BuildNumber} ({Transition}, {Reason}) not written: {Refusal}", request.InstanceId, request.BuildNumber, request.Transition, request.Reason, begun.Refusal);
        else if (begun.Written)
            logger.LogInformation("workspace {InstanceId}: build {BuildNumber} {Transition} ({Reason})", request.InstanceId, request.BuildNumber, request.Transition, request.Reason);
        return begun;
    }

    /// <inheritdoc/>
    [Activity("WorkspaceBuildEnd")]
    public Task EndBuildAsync(WorkspaceBuildEnd request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return store.EndBuildAsync(request, CancellationToken());
    }

    /// <inheritdoc/>
    [Activity("WorkspaceChange")]
    public Task ChangeAsync(WorkspaceChange request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return store.ChangeAsync(request, CancellationToken());
    }

    /// <inheritdoc/>
    [Activity("MachinePower")]
    public async Task<MachinePowerResult> PowerAsync(MachinePowerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var verb = request.Start ? "start" : "stop";
        var subject = $"instance \"{request.Name}\" {verb}";
        IProvider provider;
        try
        {
            provider = providers.Get(request.ProviderName);
        }
        catch (KeyNotFoundException e)
        {
            return new MachinePowerResult(false, $"{subject}: {e.Message}");
        }
        var spec = await instances.GetMachineSpecAsync(request.InstanceId, CancellationToken());
        ProviderPool? pool = null;
        if (spec is not null)
        {
            using var specs = JsonDocument.Parse(string.IsNullOrWhiteSpace(spec.ProviderExtraSpecs) ? "{}" : spec.ProviderExtraSpecs);
            pool = new ProviderPool(spec.PresetId?.ToString() ?? string.Empty, specs.RootElement.Clone());
        }
        var target = string.IsNullOrEmpty(request.ProviderId) ? spec?.ProviderId ?? request.Name : request.ProviderId;
        try
        {
            var call = request.Start
                ? provider.StartInstanceAsync(target, pool, CancellationToken())
                : provider.StopInstanceAsync(target, pool, CancellationToken());
            await WithHeartbeatAsync(call);
            return new MachinePowerResult(true, null);
        }
        catch (ProviderException e)
        {
            logger.LogWarning("{Subject} failed: {Fault}", subject, e.Message);
            return new MachinePowerResult(false, $"{subject}: {e.Message}");
        }
    }

    /// <inheritdoc/>
    [Activity("WorkspaceProviderGate")]
    public async Task<ProviderGateResult> CheckProviderAsync(ProviderGateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        IProvider provider;
        try
        {
            provider = providers.Get(request.ProviderName);
        }
        catch (KeyNotFoundException e)
        {
            return new ProviderGateResult(false, e.Message);
        }
        if (providerSeenAt.TryGetValue(request.ProviderName, out var seenAt) && DateTimeOffset.UtcNow - seenAt < LifecycleConstants.ProviderStaleInterval)
        {
            return new ProviderGateResult(true);
        }

        var mine = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = probes.GetOrAdd(request.ProviderName, mine.Task);
        if (probe == mine.Task)
        {
            try
            {
                mine.SetResult(await ProbeAsync(request.ProviderName, provider));
            }
            catch (Exception e)
            {
                mine.SetException(e);
            }
            finally
            {
                // After the seen-at time is written: the next stale gate starts a new probe.
                probes.TryRemove(KeyValuePair.Create(request.ProviderName, mine.Task));
            }
        }
        var refusal = await probe.WaitAsync(CancellationToken());
        return new ProviderGateResult(refusal is null, refusal);
    }

    /// <summary>
    /// One cheap call (GARM's GetVersion) shows the executable is there, runs and answers with this configuration. It
    /// is shared by the gates waiting on it, so only its own timeout ends it, never one caller's cancellation.
    /// </summary>
    private async Task<string?> ProbeAsync(string providerName, IProvider provider)
    {
        using var probe = new System.Threading.CancellationTokenSource(ProbeTimeout);
        try
        {
            await provider.GetVersionAsync(probe.Token);
            providerSeenAt[providerName] = DateTimeOffset.UtcNow;
            return null;
        }
        catch (ProviderException e)
        {
            return $"provider \"{providerName}\" did not answer GetVersion: {e.Message}";
        }
        catch (OperationCanceledException) when (probe.IsCancellationRequested)
        {
            return $"provider \"{providerName}\" did not answer GetVersion within {ProbeTimeout.TotalSeconds:0} s";
        }
    }

    /// <summary>Reports the worker alive while the provider works (a stop may wait out its grace period).</summary>
    private static async Task WithHeartbeatAsync(Task call)
    {
        if (!ActivityExecutionContext.HasCurrent)
        {
            await call;
            return;
        }
        var context = ActivityExecutionContext.Current;
        while (true)
        {
            context.Heartbeat();
            if (await Task.WhenAny(call, Task.Delay(HeartbeatInterval, context.CancellationToken)) == call)
            {
                await call;
                return;
            }
        }
    }

    private static string WorkerId() =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.Info.WorkflowId ?? "lifecycle" : "lifecycle";

    private static CancellationToken CancellationToken() =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : default;
}
