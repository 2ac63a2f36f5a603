namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The allowed moves between instance statuses (spec instances.md §1, GARM's validated writes). A move to the
/// current status is allowed as a repeat, so a replayed or retried write changes nothing and fails nothing.
/// </summary>
public static class InstanceTransitions
{
    private static readonly Dictionary<InstanceStatus, InstanceStatus[]> Allowed = new()
    {
        [InstanceStatus.PendingCreate] = [InstanceStatus.Creating, InstanceStatus.PendingDelete, InstanceStatus.PendingForceDelete],
        [InstanceStatus.Creating] = [InstanceStatus.Running, InstanceStatus.Error],
        [InstanceStatus.Running] = [InstanceStatus.PendingDelete, InstanceStatus.PendingForceDelete, InstanceStatus.Stopped, InstanceStatus.Unknown],
        [InstanceStatus.Stopped] = [InstanceStatus.Running, InstanceStatus.PendingDelete, InstanceStatus.PendingForceDelete, InstanceStatus.Unknown],
        [InstanceStatus.Error] = [InstanceStatus.PendingDelete, InstanceStatus.PendingForceDelete, InstanceStatus.Deleting, InstanceStatus.Unknown],
        [InstanceStatus.PendingDelete] = [InstanceStatus.Deleting, InstanceStatus.PendingForceDelete],
        [InstanceStatus.PendingForceDelete] = [InstanceStatus.Deleting],
        [InstanceStatus.Deleting] = [InstanceStatus.Deleted, InstanceStatus.Error],
        [InstanceStatus.Deleted] = [],
        [InstanceStatus.Unknown] = Enum.GetValues<InstanceStatus>().Where(s => s != InstanceStatus.Unknown).ToArray(),
    };

    /// <summary>The statuses reachable from <paramref name="from"/> in one move (the repeat of itself aside).</summary>
    public static IReadOnlyList<InstanceStatus> AllowedFrom(InstanceStatus from) =>
        Allowed.TryGetValue(from, out var next) ? next : [];

    /// <summary>Judges the move <paramref name="from"/> → <paramref name="to"/>; a refusal carries a reason that names both states.</summary>
    public static TransitionVerdict Check(InstanceStatus from, InstanceStatus to)
    {
        if (from == to)
            return TransitionVerdict.Repeat(from);
        if (AllowedFrom(from).Contains(to))
            return TransitionVerdict.Move(from, to);

        var allowed = AllowedFrom(from);
        var options = allowed.Count == 0
            ? $"{from.ToText()} is final"
            : $"from {from.ToText()} only {string.Join(", ", allowed.Select(s => s.ToText()))} may follow";
        return TransitionVerdict.Refuse(from, to, $"instance status cannot change from {from.ToText()} to {to.ToText()}: {options}");
    }

    /// <summary>Throws <see cref="InstanceTransitionException"/> when the move is refused.</summary>
    public static void Ensure(InstanceStatus from, InstanceStatus to)
    {
        var verdict = Check(from, to);
        if (!verdict.IsAllowed)
            throw new InstanceTransitionException(from, to, verdict.Reason);
    }
}

/// <summary>The answer to "may the instance move from one status to another", with the reason when it may not.</summary>
public sealed record TransitionVerdict(InstanceStatus From, InstanceStatus To, bool IsAllowed, bool IsRepeat, string Reason)
{
    /// <summary>An allowed move to a different status.</summary>
    public static TransitionVerdict Move(InstanceStatus from, InstanceStatus to) =>
        new(from, to, IsAllowed: true, IsRepeat: false, Reason: string.Empty);

    /// <summary>A move to the status the instance already has: allowed, and nothing changes.</summary>
    public static TransitionVerdict Repeat(InstanceStatus status) =>
        new(status, status, IsAllowed: true, IsRepeat: true, Reason: string.Empty);

    /// <summary>A refused move.</summary>
    public static TransitionVerdict Refuse(InstanceStatus from, InstanceStatus to, string reason) =>
        new(from, to, IsAllowed: false, IsRepeat: false, Reason: reason);
}

/// <summary>A status change that the rules of instances.md §1 refuse; <see cref="From"/> and <see cref="To"/> name both states.</summary>
public sealed class InstanceTransitionException : InvalidOperationException
{
    /// <summary>Creates the error for the refused move with the reason <see cref="InstanceTransitions.Check"/> gave.</summary>
    public InstanceTransitionException(InstanceStatus from, InstanceStatus to, string reason)
        : base(reason)
    {
        From = from;
        To = to;
    }

    /// <summary>The status the instance had.</summary>
    public InstanceStatus From { get; }

    /// <summary>The status it was refused.</summary>
    public InstanceStatus To { get; }
}
