using Temporalio.Api.Enums.V1;

namespace TemporalDev.Schedules.Runtime;

/// <summary>What to do with the buffered starts now, given whether an action is still running.</summary>
public sealed class OverlapDecision
{
    /// <summary>Gets the AllowAll starts, which all run now.</summary>
    public List<BufferedStart> OverlappingStarts { get; } = [];

    /// <summary>Gets or sets the one start that may run now without overlapping, if any.</summary>
    public BufferedStart? NonOverlappingStart { get; set; }

    /// <summary>Gets the starts that stay buffered.</summary>
    public List<BufferedStart> NewBuffer { get; } = [];

    public bool NeedCancel { get; set; }

    public bool NeedTerminate { get; set; }

    /// <summary>Gets or sets the number of starts dropped by Skip or BufferOne.</summary>
    public long OverlapSkipped { get; set; }
}

/// <summary>The real server's overlap rules (service/worker/scheduler/buffer.go ProcessBuffer), as a pure function.</summary>
public static class OverlapBuffer
{
    public static OverlapDecision Decide(
        IEnumerable<BufferedStart> buffer, bool isRunning, Func<ScheduleOverlapPolicy, ScheduleOverlapPolicy> resolve)
    {
        var decision = new OverlapDecision();
        foreach (var start in buffer)
        {
            // Resolved here, not when buffered, so that an update of the policy applies to waiting starts.
            var policy = resolve(start.OverlapPolicy);
            if (policy == ScheduleOverlapPolicy.AllowAll)
            {
                decision.OverlappingStarts.Add(start);
                continue;
            }
            if (!isRunning && decision.NonOverlappingStart is null)
            {
                decision.NonOverlappingStart = start;
                continue;
            }
            switch (policy)
            {
                case ScheduleOverlapPolicy.BufferOne:
                    if (decision.NewBuffer.Count == 0)
                    {
                        decision.NewBuffer.Add(start);
                    }
                    else
                    {
                        decision.OverlapSkipped++;
                    }
                    break;
                case ScheduleOverlapPolicy.BufferAll:
                    decision.NewBuffer.Add(start);
                    break;
                case ScheduleOverlapPolicy.CancelOther:
                case ScheduleOverlapPolicy.TerminateOther:
                    if (isRunning)
                    {
                        // Kept buffered: it starts once the running action has closed.
                        decision.NeedCancel |= policy == ScheduleOverlapPolicy.CancelOther;
                        decision.NeedTerminate |= policy == ScheduleOverlapPolicy.TerminateOther;
                        decision.NewBuffer.Add(start);
                    }
                    else
                    {
                        // Nothing runs yet: the newer start replaces the one chosen before it.
                        decision.NonOverlappingStart = start;
                    }
                    break;
                default:
                    decision.OverlapSkipped++;
                    break;
            }
        }
        if (decision.NeedCancel || decision.NeedTerminate)
        {
            // They would be canceled or terminated straight away with the running one.
            decision.OverlappingStarts.Clear();
        }
        return decision;
    }
}
