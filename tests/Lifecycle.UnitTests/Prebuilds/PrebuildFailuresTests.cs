using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>The reference for the snapshot's backoff and hard-limit queries (B21, B22).</summary>
public class PrebuildFailuresTests
{
    private static readonly TimeSpan Lookback = TimeSpan.FromHours(1);

    private static PrebuildAttempt Failed(int minutesAgo) => new(Now.AddMinutes(-minutesAgo), Failed: true);

    private static PrebuildAttempt Succeeded(int minutesAgo) => new(Now.AddMinutes(-minutesAgo), Failed: false);

    [Fact]
    public void No_failure_among_the_newest_desired_attempts_means_no_backoff_even_with_older_failures()
    {
        // desired 2: the two newest succeeded; the failure at −10 min is the third newest.
        Assert.Null(PrebuildFailures.Backoff(Id(1), [Succeeded(1), Succeeded(2), Failed(10)], 2, Now, Lookback));
    }

    [Fact]
    public void Num_failed_counts_every_failure_in_the_window_and_last_build_is_the_newest_failure_among_the_newest_attempts()
    {
        // Scenario 74's second half: 1 failed + 1 succeeded newest, 2 older failures → num_failed 3.
        var row = PrebuildFailures.Backoff(Id(1), [Succeeded(1), Failed(2), Failed(5), Failed(6)], 2, Now, Lookback);
        Assert.NotNull(row);
        Assert.Equal(3, row.NumFailed);
        Assert.Equal(Now.AddMinutes(-2), row.LastBuildAt);
        Assert.Equal(Id(1), row.PresetId);
    }

    [Fact]
    public void Desired_zero_never_backs_off()
    {
        Assert.Null(PrebuildFailures.Backoff(Id(1), [Failed(1)], 0, Now, Lookback));
    }

    [Theory]
    [InlineData("3 newest failed, limit 3: at the limit", 3, new[] { true, true, true }, true)]
    [InlineData("newest succeeded: not at the limit", 3, new[] { false, true, true, true }, false)]
    [InlineData("an older success does not matter", 3, new[] { true, true, true, false }, true)]
    [InlineData("fewer attempts than the limit never reach it", 3, new[] { true, true }, false)]
    [InlineData("limit 1 with one failure (scenario 76)", 1, new[] { true }, true)]
    [InlineData("limit 2 with one failure (scenario 76)", 2, new[] { true }, false)]
    [InlineData("limit 0 is off", 0, new[] { true, true, true }, false)]
    public void Hard_limit(string name, int limit, bool[] newestFirstFailed, bool expected)
    {
        var attempts = newestFirstFailed.Select((failed, i) => new PrebuildAttempt(Now.AddMinutes(-i), failed));
        Assert.True(expected == PrebuildFailures.IsAtHardLimit(attempts, limit), name);
    }

    [Fact]
    public void Failures_before_an_operator_reset_no_longer_count()
    {
        var attempts = new[] { Failed(1), Failed(2), Failed(3), Failed(4) };
        Assert.True(PrebuildFailures.IsAtHardLimit(attempts, 3));
        Assert.False(PrebuildFailures.IsAtHardLimit(attempts, 3, resetAt: Now.AddMinutes(-2)), "only the −1 min failure is after the reset");
        Assert.True(PrebuildFailures.IsAtHardLimit(attempts, 3, resetAt: Now.AddMinutes(-4)), "−4 min is at the reset, not after; three remain");
    }
}
