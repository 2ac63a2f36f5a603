using Google.Protobuf.WellKnownTypes;
using TemporalDev.Schedules.Jitter;
using TemporalDev.Schedules.Spec;
using Xunit;
using static TemporalDev.UnitTests.Schedules.SpecBuilder;

namespace TemporalDev.UnitTests.Schedules;

public class JitterTests
{
    // Expected values are the real server's (service/worker/scheduler/spec_test.go): same hash, same seed, same millisecond.
    [Theory]
    [InlineData("", "2022-03-24T00:35:24.276Z")]
    [InlineData("seed-1", "2022-03-24T00:06:12.519Z")]
    [InlineData("seed-2", "2022-03-24T00:39:16.922Z")]
    public void Jitter_matches_the_real_server_for_a_seed(string seed, string expected)
    {
        var spec = Every(TimeSpan.FromHours(24));
        spec.Jitter = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var next = CompiledScheduleSpec.Compile(spec).NextTime(seed, Utc(2022, 3, 23, 11))!.Value;
        Assert.Equal(Utc(2022, 3, 24), next.Nominal);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next.Actual);
    }

    [Fact]
    public void Jitter_is_bounded_by_the_gap_to_the_following_nominal_time()
    {
        var spec = Every(TimeSpan.FromMinutes(90));
        spec.Jitter = Duration.FromTimeSpan(TimeSpan.FromHours(24));
        var actual = CompiledScheduleSpec.Compile(spec).Upcoming(string.Empty, Utc(2022, 3, 23, 11), 3).Select(t => t.Actual);
        Assert.Equal([Utc(2022, 3, 23, 12, 14, 36, 524), Utc(2022, 3, 23, 14, 22, 54, 562), Utc(2022, 3, 23, 15, 8, 3, 724)], actual);
    }

    [Fact]
    public void Jitter_stays_in_bounds_and_is_deterministic()
    {
        var spec = Cron("*/10 * * * *");
        spec.Jitter = Duration.FromTimeSpan(TimeSpan.FromMinutes(3));
        var compiled = CompiledScheduleSpec.Compile(spec);
        var seed = ScheduleJitter.SeedFor("default-ns-id", "reconcile-all");
        var first = compiled.Upcoming(seed, Utc(2026, 11, 23), 200).ToList();
        var again = compiled.Upcoming(seed, Utc(2026, 11, 23), 200).ToList();
        Assert.Equal(first, again);
        Assert.All(first, t => Assert.InRange(t.Actual - t.Nominal, TimeSpan.Zero, TimeSpan.FromMinutes(3)));
        // A hash that ignored its input would give one offset for all 200 times.
        Assert.True(first.Select(t => t.Actual - t.Nominal).Distinct().Count() > 150);
        var otherSeed = compiled.Upcoming("other-schedule", Utc(2026, 11, 23), 200).ToList();
        Assert.NotEqual(first.Select(t => t.Actual), otherSeed.Select(t => t.Actual));
    }

    [Theory]
    [InlineData("", 0xdc56d17au)]
    [InlineData("a", 0x3c973d4du)]
    [InlineData("abcdefghi", 0x6f98dc86u)]
    [InlineData("0123456789-0", 0xf8cc7928u)]
    [InlineData("Nepal premier won't resign.", 0x322984d9u)]
    public void Fingerprint32_matches_reference_values(string input, uint expected) =>
        Assert.Equal(expected, Farmhash.Fingerprint32(System.Text.Encoding.UTF8.GetBytes(input)));
}
