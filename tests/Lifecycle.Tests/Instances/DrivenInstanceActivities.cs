using System.Collections.Concurrent;
using Lifecycle.Activities.Instances;
using Lifecycle.Workflows.Instances;
using Temporalio.Activities;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// The real <see cref="InstanceActivities"/>, with hooks a workflow test uses to act at an exact point of the
/// instance's life (the agent calling back once the machine runs, a delete arriving while a create is in flight, a
/// worker dying after the provider made the machine) and a log of the transitions the workflow asked for.
/// </summary>
internal sealed class DrivenInstanceActivities(InstanceActivities inner) : IInstanceActivities
{
    public ConcurrentQueue<(InstanceTransition Transition, InstanceTransitionResult Result)> Transitions { get; } = new();

    /// <summary>Runs after each transition was written.</summary>
    public Func<InstanceTransition, InstanceTransitionResult, Task>? AfterTransition { get; init; }

    /// <summary>Runs before the provider is asked to create.</summary>
    public Func<MachineCreateRequest, Task>? BeforeCreate { get; init; }

    /// <summary>Runs after the provider answered a create, before the result reaches the workflow (may throw).</summary>
    public Func<MachineCreateRequest, MachineCreateResult, Task>? AfterCreate { get; init; }

    [Activity("InstanceTransition")]
    public async Task<InstanceTransitionResult> TransitionAsync(InstanceTransition transition)
    {
        var result = await inner.TransitionAsync(transition);
        Transitions.Enqueue((transition, result));
        if (AfterTransition is not null)
            await AfterTransition(transition, result);
        return result;
    }

    [Activity("MachineCreate")]
    public async Task<MachineCreateResult> CreateMachineAsync(MachineCreateRequest request)
    {
        if (BeforeCreate is not null)
            await BeforeCreate(request);
        var result = await inner.CreateMachineAsync(request);
        if (AfterCreate is not null)
            await AfterCreate(request, result);
        return result;
    }

    [Activity("MachineDelete")]
    public Task<MachineDeleteResult> DeleteMachineAsync(MachineDeleteRequest request) => inner.DeleteMachineAsync(request);

    /// <summary>The applied moves, as "from->to" (a ready mark shows as "running->running(ready)").</summary>
    public IReadOnlyList<string> AppliedMoves() =>
        [.. Transitions.Where(t => t.Result.Applied).Select(t => $"{t.Result.From?.ToText()}->{t.Transition.To.ToText()}{(t.Transition.Ready ? "(ready)" : string.Empty)}")];

    /// <summary>Transitions the store refused (a workflow bug if any).</summary>
    public IReadOnlyList<string> Refusals() =>
        [.. Transitions.Where(t => t.Result.Refusal is not null).Select(t => t.Result.Refusal!)];
}
