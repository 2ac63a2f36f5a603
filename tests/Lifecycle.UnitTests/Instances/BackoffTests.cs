using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.UnitTests.Instances;

/// <summary>The delete backoff (1 s doubling, capped at 5 min) and the create retry policy (5 attempts by default).</summary>
public sealed class BackoffTests
{
    [Fact]
    public void Delete_waits_follow_garm_0_1_2_4_up_to_256_then_300_forever()
    {
        var waits = Enumerable.Range(1, 14).Select(DeleteBackoff.BeforeAttempt).Select(w => (int)w.TotalSeconds);

        Assert.Equal([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300], waits);
    }

    public static TheoryData<string, double, double> NextWaits() => new()
    {
        { "before any failure the first wait is 1 s", 0, 1 },
        { "a negative wait counts as none", -5, 1 },
        { "doubling", 1, 2 },
        { "doubling below the cap", 128, 256 },
        { "doubling past the cap stops at 300 s", 256, 300 },
        { "just under half the cap still doubles", 149, 298 },
        { "at the cap it stays", 300, 300 },
    };

    [Theory]
    [MemberData(nameof(NextWaits))]
    public void Next_delete_wait(string because, double currentSeconds, double nextSeconds) =>
        Assert.True(DeleteBackoff.Next(TimeSpan.FromSeconds(currentSeconds)) == TimeSpan.FromSeconds(nextSeconds), because);

    [Fact]
    public void Attempts_are_counted_from_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DeleteBackoff.BeforeAttempt(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CreateRetryPolicy().DelayBeforeAttempt(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CreateRetryPolicy().AfterFailure(0));
    }

    public static TheoryData<string, int, bool, int?, double> DefaultCreateRetries() => new()
    {
        { "first failure: second attempt after 5 s", 1, true, 2, 5 },
        { "second failure: third attempt after 10 s", 2, true, 3, 10 },
        { "third failure: fourth attempt after 20 s", 3, true, 4, 20 },
        { "fourth failure: the fifth and last attempt after 40 s", 4, true, 5, 40 },
        { "fifth failure: out of attempts", 5, false, null, 0 },
        { "past the limit (settings lowered meanwhile): still out", 7, false, null, 0 },
    };

    [Theory]
    [MemberData(nameof(DefaultCreateRetries))]
    public void Create_retries_by_default_five_attempts_in_all(string because, int failedAttempt, bool retry, int? next, double delaySeconds)
    {
        var decision = new CreateRetryPolicy().AfterFailure(failedAttempt);

        Assert.True((retry, next, TimeSpan.FromSeconds(delaySeconds)) == (decision.Retry, decision.NextAttempt, decision.Delay), because);
        Assert.NotEmpty(decision.Reason);
    }

    [Fact]
    public void Giving_up_says_how_many_attempts_failed_and_the_limit()
    {
        var decision = new CreateRetryPolicy { MaxAttempts = 3 }.AfterFailure(3);

        Assert.Equal("create failed 3 time(s); the limit is 3 attempt(s)", decision.Reason);
    }

    [Fact]
    public void Create_delays_double_up_to_the_cap()
    {
        var policy = new CreateRetryPolicy { MaxAttempts = 20, FirstDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(60) };

        var delays = Enumerable.Range(1, 7).Select(policy.DelayBeforeAttempt).Select(d => (int)d.TotalSeconds);

        Assert.Equal([0, 10, 20, 40, 60, 60, 60], delays);
    }

    public static TheoryData<string, CreateRetryPolicy, string[]> Policies() => new()
    {
        { "the default is valid", new CreateRetryPolicy(), [] },
        { "one attempt means no retry, and is valid", new CreateRetryPolicy { MaxAttempts = 1 }, [] },
        { "zero attempts", new CreateRetryPolicy { MaxAttempts = 0 }, ["MaxAttempts must be at least 1 (got 0)"] },
        { "negative first delay", new CreateRetryPolicy { FirstDelay = TimeSpan.FromSeconds(-1) }, ["FirstDelay must not be negative (got -00:00:01)"] },
        { "cap below first delay", new CreateRetryPolicy { FirstDelay = TimeSpan.FromMinutes(2), MaxDelay = TimeSpan.FromMinutes(1) }, ["MaxDelay (00:01:00) must not be shorter than FirstDelay (00:02:00)"] },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void Policy_settings_are_checked_naming_the_field(string because, CreateRetryPolicy policy, string[] problems) =>
        Assert.True(problems.SequenceEqual(policy.Validate()), $"{because}: got [{string.Join("; ", policy.Validate())}]");
}
