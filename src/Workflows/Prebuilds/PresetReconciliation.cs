namespace Lifecycle.Workflows.Prebuilds;

/// <summary>
/// The pure decision of prebuild reconciliation: a preset's snapshot and the clock in, its state and actions out
/// (spec §3.2–§3.5). No I/O and no ambient clock, so it is safe inside workflow code and replays identically.
/// </summary>
public static class PresetReconciliation
{
    /// <summary>The decision for every preset of the snapshot, in snapshot order.</summary>
    public static IReadOnlyList<PresetDecision> DecideAll(GlobalSnapshot snapshot, DateTimeOffset now, PrebuildOptions options) =>
        [.. snapshot.PerPreset().Select(p => Decide(p, now, options))];

    /// <summary>Whether the preset needs a child workflow at all this pass.</summary>
    public static bool HasWork(PresetSnapshot snapshot, DateTimeOffset now, PrebuildOptions options) =>
        Decide(snapshot, now, options).HasWork;

    /// <summary>The state of a preset at <paramref name="now"/> (spec §3.4).</summary>
    public static PresetState CalculateState(PresetSnapshot snapshot, DateTimeOffset now, PrebuildOptions options)
    {
        var preset = snapshot.Preset;
        var active = preset.IsActive;
        var expired = snapshot.Running.Count(r => PrebuildExpiry.IsExpired(preset, r, now));
        var fresh = snapshot.Running.Where(r => !PrebuildExpiry.IsExpired(preset, r, now)).ToList();
        var counts = new TargetCounts
        {
            Running = snapshot.Running.Count,
            Eligible = active ? fresh.Count(r => r.Ready) : 0,
            Starting = InProgress(snapshot, PrebuildTransition.Start),
            Stopping = InProgress(snapshot, PrebuildTransition.Stop),
            Deleting = InProgress(snapshot, PrebuildTransition.Delete),
            Expired = expired,
            Claims = snapshot.ClaimWindows,
        };

        // The target comes after the counts: a target expression reads them (B16).
        var target = PrebuildTarget.Resolve(preset, snapshot.Schedules, now, counts);
        return new PresetState
        {
            Actual = counts.Running,
            Expired = expired,
            Desired = target.Desired,
            Eligible = counts.Eligible,
            Extraneous = active ? Math.Max(fresh.Count - target.Desired, 0) : 0,
            Starting = counts.Starting,
            Stopping = counts.Stopping,
            Deleting = counts.Deleting,
            Active = active,
            HardLimited = IsCreateStopped(snapshot, options),
            DesiredProblem = target.ScheduleProblem,
            DesiredSource = target.Source,
            ExpressionError = target.ExpressionError,
        };
    }

    /// <summary>
    /// The actions for one preset, in order: nothing while paused; the one-time hard-limit mark; a backoff that
    /// overrides every create, delete and cancel; for an inactive preset cancel pending initial builds and delete every
    /// running prebuild; for an active one delete expired, then the oldest extraneous, then create what is missing.
    /// </summary>
    public static PresetDecision Decide(PresetSnapshot snapshot, DateTimeOffset now, PrebuildOptions options)
    {
        var state = CalculateState(snapshot, now, options);
        if (snapshot.ReconciliationPaused)
            return new PresetDecision { PresetId = snapshot.Preset.Id, State = state };

        var actions = new List<PrebuildAction>();
        if (NeedsHardLimitMark(snapshot, options))
            actions.Add(PrebuildAction.MarkHardLimited(HardLimitNotificationKey(snapshot.Preset)));

        if (ActiveBackoffUntil(snapshot, now, options) is { } until)
        {
            actions.Add(PrebuildAction.BackOff(until));
        }
        else if (!state.Active)
        {
            actions.AddRange(DrainInactive(snapshot));
        }
        else
        {
            actions.AddRange(ReconcileActive(snapshot, state, now));
        }

        return new PresetDecision { PresetId = snapshot.Preset.Id, State = state, Actions = actions };
    }

    /// <summary>
    /// B18: the end of the backoff when the preset must still wait at <paramref name="now"/> (until included, as
    /// Coder resumes only strictly after it); failures older than the lookback window no longer hold a preset back.
    /// </summary>
    public static DateTimeOffset? ActiveBackoffUntil(PresetSnapshot snapshot, DateTimeOffset now, PrebuildOptions options)
    {
        if (snapshot.Backoff is not { NumFailed: > 0 } backoff)
            return null;
        if (backoff.LastBuildAt < now - options.BackoffLookback)
            return null;
        var until = PrebuildFailures.BackoffUntil(backoff, options.BackoffInterval);
        return now <= until ? until : null;
    }

    /// <summary>B22: creates stop when the limit is on and the preset is at it or already marked (until an operator resets it).</summary>
    public static bool IsCreateStopped(PresetSnapshot snapshot, PrebuildOptions options) =>
        options.FailureHardLimit > 0
        && snapshot.Preset.IsActive
        && (snapshot.IsHardLimited || snapshot.Preset.Status == PrebuildStatus.HardLimited);

    /// <summary>The first pass that sees an active preset at the limit marks it; a marked preset is never marked again.</summary>
    public static bool NeedsHardLimitMark(PresetSnapshot snapshot, PrebuildOptions options) =>
        options.FailureHardLimit > 0
        && snapshot.Preset.IsActive
        && snapshot.IsHardLimited
        && snapshot.Preset.Status != PrebuildStatus.HardLimited;

    /// <summary>One key per preset and limit episode: a crash or a later pass re-sends nothing; a reset starts a new episode.</summary>
    public static string HardLimitNotificationKey(PrebuildPreset preset) =>
        preset.FailureLimitResetAt is { } resetAt
            ? $"prebuild-hard-limited:{preset.Id}:{resetAt.UtcTicks}"
            : $"prebuild-hard-limited:{preset.Id}:0";

    private static IEnumerable<PrebuildAction> DrainInactive(PresetSnapshot snapshot)
    {
        if (snapshot.PendingCount > 0)
            yield return PrebuildAction.CancelPending();

        // B19 open question decided: every running prebuild of an inactive preset goes, expired or not.
        var all = Oldest(snapshot.Running);
        if (all.Count > 0)
            yield return PrebuildAction.DeleteMany(all, PrebuildDeleteReason.InactivePreset);
    }

    private static IEnumerable<PrebuildAction> ReconcileActive(PresetSnapshot snapshot, PresetState state, DateTimeOffset now)
    {
        var preset = snapshot.Preset;
        var expired = Oldest(snapshot.Running.Where(r => PrebuildExpiry.IsExpired(preset, r, now)));
        if (expired.Count > 0)
            yield return PrebuildAction.DeleteMany(expired, PrebuildDeleteReason.Expired);

        if (state.Extraneous > 0)
        {
            var fresh = Oldest(snapshot.Running.Where(r => !PrebuildExpiry.IsExpired(preset, r, now)));
            yield return PrebuildAction.DeleteMany([.. fresh.Take(state.Extraneous)], PrebuildDeleteReason.Extraneous);
        }

        // Stopping and deleting prebuilds are not running, so they do not reduce the count to create (B20).
        var create = Math.Max(state.Desired - (state.Actual - state.Expired) - state.Starting, 0);
        create = Math.Min(create, state.Desired);
        if (create > 0 && !state.HardLimited)
            yield return PrebuildAction.CreateMany(create);
    }

    private static List<Guid> Oldest(IEnumerable<RunningPrebuild> prebuilds) =>
        [.. prebuilds.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).Select(r => r.Id)];

    private static int InProgress(PresetSnapshot snapshot, PrebuildTransition transition) =>
        snapshot.InProgress.Where(r => r.Transition == transition).Sum(r => r.Count);
}
