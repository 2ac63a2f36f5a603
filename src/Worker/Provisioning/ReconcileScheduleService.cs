using Lifecycle.Activities.Reconciliation;
using Lifecycle.Worker.Configuration;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Provisioning;

/// <summary>Creates or updates the <c>reconcile-all</c> schedule when the worker starts (idempotent; a pause survives).</summary>
public sealed class ReconcileScheduleService(
    ITemporalClient client, LifecycleOptions options, IConfiguration configuration, ILogger<ReconcileScheduleService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var text = configuration[LifecycleSettings.ReconcileInterval.Key];
        var interval = ReconcileSchedule.DefaultInterval;
        if (text is not null && (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out interval) || interval <= TimeSpan.Zero))
        {
            throw new InvalidOperationException(
                $"{LifecycleSettings.ReconcileInterval.EnvironmentVariable}: \"{text}\" is not a positive duration (hh:mm:ss)");
        }
        try
        {
            await ReconcileSchedule.EnsureAsync(client, options.Temporal.TaskQueue, interval);
            logger.LogInformation("Schedule reconcile-all runs ReconcileAll every {Interval}", interval);
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.Unimplemented)
        {
            // temporal-dev serves schedules only once issue 4 lands; prebuild pools then need a manual trigger.
            logger.LogWarning("This Temporal server has no schedules ({Message}); reconcile-all is not scheduled", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
