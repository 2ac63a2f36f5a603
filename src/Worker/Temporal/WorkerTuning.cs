using System.Globalization;
using Lifecycle.Worker.Configuration;
using Microsoft.Extensions.Configuration;
using Temporalio.Worker;
using Temporalio.Worker.Tuning;

namespace Lifecycle.Worker.Temporal;

/// <summary>
/// The worker's slots, pollers and cache (LIFECYCLE_WORKER_*). One worker owns thousands of mostly idle instance
/// workflows: each rests on one durable timer and wakes for a few tasks at its due times, many of them in the same
/// second at a cron minute, so the defaults favour dispatching a burst quickly over holding every run in memory.
/// </summary>
public sealed record WorkerTuning(int CachedWorkflows, int WorkflowPollers, int WorkflowTaskSlots, int LocalActivitySlots, int ActivitySlots)
{
    /// <summary>Reads the settings; a value that is not a positive whole number throws naming its setting.</summary>
    public static WorkerTuning Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        int Positive(Setting setting)
        {
            var text = configuration[setting.Key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : setting.Default!;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new InvalidSettingException(setting, $"\"{text}\" is not a positive whole number");
        }

        return new WorkerTuning(
            Positive(LifecycleSettings.WorkerCachedWorkflows),
            Positive(LifecycleSettings.WorkerWorkflowPollers),
            Positive(LifecycleSettings.WorkerWorkflowTaskSlots),
            Positive(LifecycleSettings.WorkerLocalActivitySlots),
            Positive(LifecycleSettings.WorkerActivitySlots));
    }

    /// <summary>Sets these values on the worker's options.</summary>
    public void ApplyTo(TemporalWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MaxCachedWorkflows = CachedWorkflows;
        options.WorkflowTaskPollerBehavior = new PollerBehavior.SimpleMaximum(WorkflowPollers);
        options.MaxConcurrentWorkflowTasks = WorkflowTaskSlots;
        options.MaxConcurrentLocalActivities = LocalActivitySlots;
        options.MaxConcurrentActivities = ActivitySlots;
    }
}
