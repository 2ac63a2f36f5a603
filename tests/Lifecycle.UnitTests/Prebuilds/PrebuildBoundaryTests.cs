using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>The edges of the time rules: backoff end, lookback window, TTL and invalidation.</summary>
public class PrebuildBoundaryTests
{
    private static readonly PrebuildOptions Options = new() { BackoffInterval = TimeSpan.FromSeconds(15) };

    // Two failures, the newest at Now: backoff until Now + 30 s.
    private static readonly DateTimeOffset BackoffEnd = Now.AddSeconds(30);

    [Theory]
    [InlineData("one tick before the end: still backing off", -1, "backoff until 2025-06-02T10:00:30.0000000Z")]
    [InlineData("exactly at the end: still backing off (Coder resumes strictly after)", 0, "backoff until 2025-06-02T10:00:30.0000000Z")]
    [InlineData("one tick after the end: creates again", 1, "create 1")]
    public void Backoff_end(string name, long ticksFromEnd, string expected)
    {
        var snapshot = Snapshot(Preset(1, desired: 1), backoff: Backoff(1, numFailed: 2, lastBuildAt: Now));
        var actions = PresetReconciliation.Decide(snapshot, BackoffEnd.AddTicks(ticksFromEnd), Options).Actions;
        Assert.True(expected == Render(actions), name);
    }

    [Theory]
    [InlineData("newest failure exactly lookback ago: inside the window, backing off", 0, "backoff until 2025-06-02T11:00:00.0000000Z")]
    [InlineData("newest failure one tick older than the lookback: outside, creates", -1, "create 1")]
    public void Backoff_row_outside_the_lookback_window_is_ignored(string name, long ticks, string expected)
    {
        // 2 failures × 1 h interval outlive a 1 h lookback: only the window decides.
        var options = new PrebuildOptions { BackoffInterval = TimeSpan.FromHours(1), BackoffLookback = TimeSpan.FromHours(1) };
        var lastFailure = Now.AddHours(-1).AddTicks(ticks);
        var snapshot = Snapshot(Preset(1, desired: 1), backoff: Backoff(1, numFailed: 2, lastBuildAt: lastFailure));
        var actions = PresetReconciliation.Decide(snapshot, Now, options).Actions;
        Assert.True(expected == Render(actions), $"{name}: got {Render(actions)}");
    }

    [Theory]
    [InlineData("a failure exactly lookback ago counts", 0, true, 2)]
    [InlineData("a failure one tick older than the lookback does not", -1, false, 1)]
    public void Failure_at_the_lookback_edge(string name, long ticks, bool oldestCounts, int expectedFailures)
    {
        var edge = Now - PrebuildOptions.Default.BackoffLookback;
        var attempts = new[]
        {
            new PrebuildAttempt(edge.AddTicks(ticks), Failed: true),
            new PrebuildAttempt(Now.AddMinutes(-1), Failed: true),
        };
        var row = PrebuildFailures.Backoff(Id(1), attempts, desiredInstances: 2, Now, PrebuildOptions.Default.BackoffLookback);
        Assert.NotNull(row);
        Assert.True(expectedFailures == row.NumFailed, $"{name}: oldest counts = {oldestCounts}, got {row.NumFailed} failures");
        Assert.Equal(Now.AddMinutes(-1), row.LastBuildAt);
    }

    [Theory]
    [InlineData("only failure exactly lookback ago: a row", 0, true)]
    [InlineData("only failure one tick older: no row, no backoff", -1, false)]
    public void Only_failure_at_the_lookback_edge(string name, long ticks, bool expectRow)
    {
        var edge = Now - PrebuildOptions.Default.BackoffLookback;
        var row = PrebuildFailures.Backoff(Id(1), [new PrebuildAttempt(edge.AddTicks(ticks), Failed: true)], 1, Now, PrebuildOptions.Default.BackoffLookback);
        Assert.True(expectRow == row is not null, name);
    }

    [Theory]
    [InlineData("age one second below TTL: fresh", 4, false)]
    [InlineData("age exactly TTL: still fresh (expiry needs age > TTL)", 5, false)]
    [InlineData("age one second above TTL: expired", 6, true)]
    public void Ttl_edge(string name, int ageSeconds, bool expired)
    {
        var preset = Preset(1, desired: 1) with { InvalidateAfterSeconds = 5 };
        var prebuild = Running(11, 1, Now.AddSeconds(-ageSeconds));
        Assert.True(expired == PrebuildExpiry.IsExpired(preset, prebuild, Now), name);

        var expected = expired ? "delete expired [#11] | create 1" : "none";
        Assert.Equal(expected, Render(PresetReconciliation.Decide(Snapshot(preset, [prebuild]), Now, Options).Actions));
    }

    [Fact]
    public void Ttl_edge_to_the_tick()
    {
        var preset = Preset(1, desired: 1) with { InvalidateAfterSeconds = 5 };
        var prebuild = Running(11, 1, Now);
        Assert.False(PrebuildExpiry.IsExpired(preset, prebuild, Now.AddSeconds(5)));
        Assert.True(PrebuildExpiry.IsExpired(preset, prebuild, Now.AddSeconds(5).AddTicks(1)));
    }

    [Theory]
    [InlineData("TTL 0 never expires", 0)]
    [InlineData("negative TTL never expires", -5)]
    public void No_ttl_means_no_expiry(string name, int ttl)
    {
        var preset = Preset(1, desired: 1) with { InvalidateAfterSeconds = ttl };
        Assert.False(PrebuildExpiry.IsExpired(preset, Running(11, 1, Now.AddYears(-5)), Now), name);
    }

    [Theory]
    [InlineData("created one tick before the invalidation: expired", -1, true)]
    [InlineData("created at the invalidation instant: kept", 0, false)]
    [InlineData("created one tick after: kept", 1, false)]
    public void Invalidation_edge(string name, long ticks, bool expired)
    {
        var invalidatedAt = Now.AddMinutes(-5);
        var preset = Preset(1, desired: 1) with { LastInvalidatedAt = invalidatedAt };
        Assert.True(expired == PrebuildExpiry.IsExpired(preset, Running(11, 1, invalidatedAt.AddTicks(ticks)), Now), name);
    }

    [Fact]
    public void A_huge_failure_count_saturates_instead_of_overflowing()
    {
        var until = PrebuildFailures.BackoffUntil(Backoff(1, int.MaxValue, Now), TimeSpan.FromDays(3650));
        Assert.Equal(DateTimeOffset.MaxValue, until);
    }
}
