using Lifecycle.Activities.Reconciliation;
using Lifecycle.Worker.Configuration;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Provisioning;

/// <summary>Creates or updates the <c>reconcile-all</c> schedule when the worker starts (idempotent; a pause survives).</summary>
public sealed class ReconcileScheduleService(
    ITemporalClient client, LifecycleOptions options, IConfiguration configuration, ILogger<ReconcileScheduleService> logger) : IHostedService
{
    /// <summary>Reads the interval setting; a value that is not a positive hh:mm:ss duration names the setting.</summary>
    public static TimeSpan Interval(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[LifecycleSettings.ReconcileInterval.Key];
        if (string.IsNullOrWhiteSpace(text))
            return ReconcileSchedule.DefaultInterval;
        if (!TimeSpan.TryParse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var interval) || interval <= TimeSpan.Zero)
            throw new InvalidSettingException(LifecycleSettings.ReconcileInterval, $"\"{text}\" is not a positive duration (hh:mm:ss)");
        return interval;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var interval = Interval(configuration);
        try
        {
            await ReconcileSchedule.EnsureAsync(client, options.Temporal.TaskQueue, interval);
            logger.LogInformation("Schedule {ScheduleId} runs ReconcileAll every {Interval}", ReconcileSchedule.Id, interval);
        }
        catch (RpcException e) when (e.Code is RpcException.StatusCode.Unimplemented or RpcException.StatusCode.PermissionDenied)
        {
            // Temporal and temporal-dev serve schedules, but a cluster may have them turned off for the namespace
            // (frontend.enableSchedules). The worker still serves claims and instances; passes then need a manual start.
            logger.LogWarning(
                "Temporal refused schedules ({Message}); {ScheduleId} is not scheduled and prebuild pools are not reconciled until a ReconcileAll workflow is started by hand",
                e.Message,
                ReconcileSchedule.Id);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
