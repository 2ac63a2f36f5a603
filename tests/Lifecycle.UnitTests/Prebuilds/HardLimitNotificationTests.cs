using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>
/// The one-time "mark hard-limited and notify each template admin" decision across passes, crashes and an operator
/// reset (B22 with our differences: one notification per admin, exactly once per limit episode; resettable).
/// </summary>
public class HardLimitNotificationTests
{
    private static readonly PrebuildOptions Options = new() { FailureHardLimit = 3, BackoffInterval = TimeSpan.Zero };

    private static PresetSnapshot Pass(PrebuildPreset preset, IEnumerable<PrebuildAttempt> attempts) => Snapshot(
        preset,
        hardLimited: PrebuildFailures.IsAtHardLimit(attempts, Options.FailureHardLimit, preset.FailureLimitResetAt));

    private static PrebuildAttempt Failed(int minutesAgo) => new(Now.AddMinutes(-minutesAgo), Failed: true);

    [Fact]
    public void Marked_once_then_never_again_and_a_reset_starts_a_new_episode_with_a_new_key()
    {
        var preset = Preset(1, desired: 1);
        var attempts = new List<PrebuildAttempt> { Failed(30), Failed(20), Failed(10) };

        // Pass 1: at the limit, not marked yet → mark (the act layer sets the status and notifies), no create.
        var first = PresetReconciliation.Decide(Pass(preset, attempts), Now, Options);
        Assert.Equal("mark-hard-limited", Render(first.Actions));
        var key = first.Actions[0].NotificationKey;
        Assert.Equal($"prebuild-hard-limited:{Id(1)}:0", key);
        Assert.True(first.State.HardLimited);

        // The worker crashed before the status update committed: the retry decides the same mark with the same key,
        // so the notification's idempotency key de-duplicates it.
        var retried = PresetReconciliation.Decide(Pass(preset, attempts), Now.AddMinutes(1), Options);
        Assert.Equal(key, Assert.Single(retried.Actions).NotificationKey);

        // Pass 2 after the status committed: no second mark, still no create.
        var marked = preset with { Status = PrebuildStatus.HardLimited };
        var second = PresetReconciliation.Decide(Pass(marked, attempts), Now.AddMinutes(2), Options);
        Assert.Equal("none", Render(second.Actions));
        Assert.False(second.HasWork);

        // Operator reset: status healthy, failures before the reset no longer count → creates resume.
        var reset = preset with { Status = PrebuildStatus.Healthy, FailureLimitResetAt = Now.AddMinutes(3) };
        var afterReset = PresetReconciliation.Decide(Pass(reset, attempts), Now.AddMinutes(4), Options);
        Assert.Equal("create 1", Render(afterReset.Actions));

        // Three new failures after the reset: a new episode, a new key, so admins hear about it again, once.
        attempts.AddRange([Failed(-5), Failed(-6), Failed(-7)]);
        var again = PresetReconciliation.Decide(Pass(reset, attempts), Now.AddMinutes(8), Options);
        Assert.Equal("mark-hard-limited", Render(again.Actions));
        Assert.NotEqual(key, again.Actions[0].NotificationKey);
        Assert.Equal(PresetReconciliation.HardLimitNotificationKey(reset), again.Actions[0].NotificationKey);
    }

    [Theory]
    [InlineData("healthy and at the limit: mark", PrebuildStatus.Healthy, true, true, 3, true)]
    [InlineData("already marked: no mark", PrebuildStatus.HardLimited, true, true, 3, false)]
    [InlineData("not at the limit: no mark", PrebuildStatus.Healthy, false, true, 3, false)]
    [InlineData("inactive preset: no mark (it is drained, nobody needs telling)", PrebuildStatus.Healthy, true, false, 3, false)]
    [InlineData("limit off: no mark", PrebuildStatus.Healthy, true, true, 0, false)]
    [InlineData("reserved validation_failed status and at the limit: mark", PrebuildStatus.ValidationFailed, true, true, 3, true)]
    public void Needs_mark(string name, PrebuildStatus status, bool atLimit, bool active, int limit, bool expected)
    {
        var snapshot = Snapshot(Preset(1, desired: 1, active) with { Status = status }, hardLimited: atLimit);
        Assert.True(expected == PresetReconciliation.NeedsHardLimitMark(snapshot, new PrebuildOptions { FailureHardLimit = limit }), name);
    }
}
