using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>Time-of-day desired counts (B14, B15; spec scenarios 69 and 70) across zones and daylight-saving changes.</summary>
public class PrebuildScheduleTests
{
    [Theory]
    [InlineData("69 01:00 before every range", "2025-06-02T01:00:00Z", 1, 1)]
    [InlineData("69 03:00 preset 1's first range", "2025-06-02T03:00:00Z", 2, 1)]
    [InlineData("69 07:00 preset 1's second range", "2025-06-02T07:00:00Z", 3, 1)]
    [InlineData("69 11:00 preset 2's first range", "2025-06-02T11:00:00Z", 1, 4)]
    [InlineData("69 15:00 preset 2's second range", "2025-06-02T15:00:00Z", 1, 5)]
    public void Scenario69_two_presets_with_two_ranges_each(string name, string at, int preset1, int preset2)
    {
        var snapshot = new GlobalSnapshot
        {
            Presets = [Preset(1, desired: 1) with { SchedulingTimeZone = "UTC" }, Preset(2, desired: 1) with { SchedulingTimeZone = "UTC" }],
            Schedules =
            [
                Schedule(31, 1, "* 2-4 * * 1-5", 2), Schedule(32, 1, "* 6-8 * * 1-5", 3),
                Schedule(33, 2, "* 10-12 * * 1-5", 4), Schedule(34, 2, "* 14-16 * * 1-5", 5),
            ],
        };
        var decisions = PresetReconciliation.DecideAll(snapshot, At(at), PrebuildOptions.Default);
        Assert.True(
            $"create {preset1} / create {preset2}" == $"{Render(decisions[0].Actions)} / {Render(decisions[1].Actions)}",
            $"{name}: got {Render(decisions[0].Actions)} / {Render(decisions[1].Actions)}");
    }

    [Theory]
    [InlineData("70 08:59:59 is before 9-18", "UTC", "* 9-18 * * 1-5", "2025-06-02T08:59:59Z", 1)]
    [InlineData("70 09:00:00 starts 9-18", "UTC", "* 9-18 * * 1-5", "2025-06-02T09:00:00Z", 3)]
    [InlineData("70 18:59:59 is still inside 9-18", "UTC", "* 9-18 * * 1-5", "2025-06-02T18:59:59Z", 3)]
    [InlineData("70 19:00:00 ends 9-18", "UTC", "* 9-18 * * 1-5", "2025-06-02T19:00:00Z", 1)]
    [InlineData("70 Saturday 14:00 is not a weekday", "UTC", "* 9-18 * * 1-5", "2025-06-07T14:00:00Z", 1)]
    [InlineData("70 Sunday 14:00 is not a weekday", "UTC", "* 9-18 * * 1-5", "2025-06-08T14:00:00Z", 1)]
    [InlineData("70 Los Angeles 15:00 UTC is 08:00 PDT", "America/Los_Angeles", "* 9-13 * * 1-5", "2025-06-02T15:00:00Z", 1)]
    [InlineData("70 Los Angeles 16:00 UTC is 09:00 PDT", "America/Los_Angeles", "* 9-13 * * 1-5", "2025-06-02T16:00:00Z", 3)]
    [InlineData("70 Los Angeles 20:59:59 UTC is 13:59:59 PDT", "America/Los_Angeles", "* 9-13 * * 1-5", "2025-06-02T20:59:59Z", 3)]
    [InlineData("70 Los Angeles 21:00 UTC is 14:00 PDT", "America/Los_Angeles", "* 9-13 * * 1-5", "2025-06-02T21:00:00Z", 1)]
    [InlineData("Auckland: Sunday 21:00 UTC is Monday 09:00 local, inside a Monday range", "Pacific/Auckland", "* 9-17 * * 1", "2025-06-01T21:00:00Z", 3)]
    [InlineData("Auckland: Sunday 20:59:59 UTC is Monday 08:59:59 local", "Pacific/Auckland", "* 9-17 * * 1", "2025-06-01T20:59:59Z", 1)]
    [InlineData("Auckland: Monday 05:59:59 UTC is 17:59:59 local, still inside", "Pacific/Auckland", "* 9-17 * * 1", "2025-06-02T05:59:59Z", 3)]
    [InlineData("Auckland: Monday 09:00 UTC is Monday 21:00 local, outside although UTC is 09:00 Monday", "Pacific/Auckland", "* 9-17 * * 1", "2025-06-02T09:00:00Z", 1)]
    [InlineData("Los Angeles: Saturday 00:30 UTC is Friday 17:30 local, inside a Friday range", "America/Los_Angeles", "* 9-17 * * 5", "2025-06-07T00:30:00Z", 3)]
    [InlineData("Los Angeles: Saturday 01:00 UTC is Friday 18:00 local", "America/Los_Angeles", "* 9-17 * * 5", "2025-06-07T01:00:00Z", 1)]
    [InlineData("Berlin summer: 07:00 UTC is 09:00 CEST", "Europe/Berlin", "* 9-18 * * 1-5", "2025-10-24T07:00:00Z", 3)]
    [InlineData("Berlin summer: 06:59:59 UTC is 08:59:59 CEST", "Europe/Berlin", "* 9-18 * * 1-5", "2025-10-24T06:59:59Z", 1)]
    [InlineData("Berlin after the fall-back: 07:00 UTC is 08:00 CET", "Europe/Berlin", "* 9-18 * * 1-5", "2025-10-27T07:00:00Z", 1)]
    [InlineData("Berlin after the fall-back: 08:00 UTC is 09:00 CET", "Europe/Berlin", "* 9-18 * * 1-5", "2025-10-27T08:00:00Z", 3)]
    [InlineData("Berlin after the fall-back: 17:59:59 UTC is 18:59:59 CET", "Europe/Berlin", "* 9-18 * * 1-5", "2025-10-27T17:59:59Z", 3)]
    [InlineData("Berlin after the fall-back: 18:00 UTC is 19:00 CET", "Europe/Berlin", "* 9-18 * * 1-5", "2025-10-27T18:00:00Z", 1)]
    [InlineData("Berlin spring-forward day: 00:59:59 UTC is 01:59:59 CET", "Europe/Berlin", "* 2 * * 0", "2025-03-30T00:59:59Z", 1)]
    [InlineData("Berlin spring-forward day: 01:00 UTC is 03:00 CEST, the 02:00 hour never happens", "Europe/Berlin", "* 2 * * 0", "2025-03-30T01:00:00Z", 1)]
    [InlineData("Berlin the Sunday before: 01:30 UTC is 02:30 CET", "Europe/Berlin", "* 2 * * 0", "2025-03-23T01:30:00Z", 3)]
    [InlineData("New York fall-back: 05:30 UTC is the first 01:30 (EDT)", "America/New_York", "* 1 * * 0", "2025-11-02T05:30:00Z", 3)]
    [InlineData("New York fall-back: 06:30 UTC is the repeated 01:30 (EST), also inside", "America/New_York", "* 1 * * 0", "2025-11-02T06:30:00Z", 3)]
    [InlineData("New York fall-back: 07:00 UTC is 02:00 EST", "America/New_York", "* 1 * * 0", "2025-11-02T07:00:00Z", 1)]
    [InlineData("New York fall-back: 04:59:59 UTC is 00:59:59 EDT", "America/New_York", "* 1 * * 0", "2025-11-02T04:59:59Z", 1)]
    [InlineData("day-of-week 7 is Sunday too", "UTC", "* 10 * * 7", "2025-06-08T10:15:00Z", 3)]
    [InlineData("day-of-week names are accepted", "UTC", "* 10 * * MON-FRI", "2025-06-02T10:15:00Z", 3)]
    [InlineData("a zone name with surrounding spaces is trimmed", " UTC ", "* 10 * * *", "2025-06-02T10:15:00Z", 3)]
    public void Desired_follows_the_local_wall_clock(string name, string zone, string cron, string at, int expected)
    {
        var preset = Preset(1, desired: 1) with { SchedulingTimeZone = zone };
        var target = PrebuildTarget.Resolve(preset, [Schedule(31, 1, cron, 3)], At(at));
        Assert.True(expected == target.Desired, $"{name}: got {target.Desired} ({target.ScheduleProblem})");
        Assert.Null(target.ScheduleProblem);
        Assert.Equal(expected == 3 ? Id(31) : null, target.MatchedScheduleId);
    }

    [Theory]
    [InlineData("empty zone", "", "* 9-18 * * *", "scheduling_timezone: is empty")]
    [InlineData("unknown zone", "Mars/Olympus_Mons", "* 9-18 * * *", "scheduling_timezone: unknown time zone \"Mars/Olympus_Mons\"")]
    [InlineData("minute other than *", "UTC", "0 9-18 * * *", "prebuild_schedules[0].cron_expression: \"0 9-18 * * *\": minute must be *")]
    [InlineData("day-of-month other than *", "UTC", "* 9 1 * *", "prebuild_schedules[0].cron_expression: \"* 9 1 * *\": day-of-month and month must be *")]
    [InlineData("month other than *", "UTC", "* 9 * 6 *", "day-of-month and month must be *")]
    [InlineData("six fields", "UTC", "0 * 9 * * *", "has 6 fields; expected 5")]
    [InlineData("a CRON_TZ prefix", "UTC", "CRON_TZ=UTC * 9 * * *", "no prefix allowed")]
    [InlineData("an hour out of range", "UTC", "* 25 * * *", "prebuild_schedules[0].cron_expression: invalid cron expression \"* 25 * * *\"")]
    [InlineData("last-weekday-of-month syntax", "UTC", "* 9 * * 5L", "no L, W, # or ?")]
    [InlineData("empty expression", "UTC", " ", "prebuild_schedules[0].cron_expression: is empty")]
    public void Unusable_schedules_fall_back_to_the_base_count_and_say_why(string name, string zone, string cron, string problem)
    {
        var preset = Preset(7, desired: 2) with { SchedulingTimeZone = zone };
        var target = PrebuildTarget.Resolve(preset, [Schedule(31, 7, cron, 5)], At("2025-06-02T10:00:00Z"));
        Assert.True(target.Desired == 2, $"{name}: expected the base count 2, got {target.Desired}");
        Assert.NotNull(target.ScheduleProblem);
        Assert.Contains(problem, target.ScheduleProblem, StringComparison.Ordinal);
        Assert.StartsWith($"preset {Id(7)}: schedules ignored, ", target.ScheduleProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_ranges_are_rejected_naming_both_and_the_shared_hour()
    {
        var e = Assert.Throws<PrebuildScheduleException>(() => PrebuildScheduleTable.Parse(
            "UTC",
            [Schedule(31, 1, "* 9-12 * * 1-5", 2), Schedule(32, 1, "* 12-14 * * 1", 3)]));
        Assert.Equal("prebuild_schedules[1].cron_expression", e.Field);
        Assert.Equal("\"* 12-14 * * 1\" overlaps prebuild_schedules[0] \"* 9-12 * * 1-5\" (both cover Monday 12:00)", e.Problem);
    }

    [Fact]
    public void Overlap_makes_the_whole_preset_fall_back_to_the_base_count()
    {
        var preset = Preset(1, desired: 1) with { SchedulingTimeZone = "UTC" };
        var target = PrebuildTarget.Resolve(preset, [Schedule(31, 1, "* 9-12 * * *", 2), Schedule(32, 1, "* 10 * * *", 3)], At("2025-06-02T10:30:00Z"));
        Assert.Equal(1, target.Desired);
        Assert.Contains("overlaps", target.ScheduleProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void Adjacent_ranges_do_not_overlap()
    {
        var table = PrebuildScheduleTable.Parse("UTC", [Schedule(31, 1, "* 9-11 * * *", 2), Schedule(32, 1, "* 12-14 * * *", 3)]);
        Assert.Equal(Id(31), table.Matching(At("2025-06-02T11:59:59Z"))?.Id);
        Assert.Equal(Id(32), table.Matching(At("2025-06-02T12:00:00Z"))?.Id);
        Assert.Null(table.Matching(At("2025-06-02T15:00:00Z")));
    }

    [Fact]
    public void A_negative_scheduled_count_is_rejected()
    {
        var e = Assert.Throws<PrebuildScheduleException>(() => PrebuildScheduleTable.Parse("UTC", [Schedule(31, 1, "* 9 * * *", -1)]));
        Assert.Equal("prebuild_schedules[0].desired_instances", e.Field);
        Assert.Equal("must not be negative, got -1", e.Problem);
    }

    [Fact]
    public void A_Windows_zone_name_is_rejected_so_stored_presets_stay_portable()
    {
        Assert.False(PrebuildScheduleTable.TryParse("Pacific Standard Time", [Schedule(31, 1, "* 9 * * *", 1)], out var table, out var error));
        Assert.Null(table);
        Assert.StartsWith("scheduling_timezone: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schedule_of_zero_overrides_a_positive_base_count()
    {
        var preset = Preset(1, desired: 4) with { SchedulingTimeZone = "UTC" };
        var snapshot = Snapshot(preset, [Running(11, 1, Now.AddHours(-2)), Running(12, 1, Now.AddHours(-1))], schedules: [Schedule(31, 1, "* 0-6 * * *", 0)]);
        var decision = PresetReconciliation.Decide(snapshot, At("2025-06-02T03:00:00Z"), PrebuildOptions.Default);
        Assert.Equal("delete extraneous [#11,#12]", Render(decision.Actions));
    }

    [Fact]
    public void An_inactive_preset_wants_none_whatever_its_schedules_say()
    {
        var preset = Preset(1, desired: 2, active: false) with { SchedulingTimeZone = "UTC" };
        var target = PrebuildTarget.Resolve(preset, [Schedule(31, 1, "* * * * *", 5)], Now);
        Assert.Equal(new DesiredTarget(0, 2, null, null) { Source = DesiredSource.Inactive }, target);
    }

    [Fact]
    public void Without_schedules_the_zone_is_not_needed()
    {
        var target = PrebuildTarget.Resolve(Preset(1, desired: 2) with { SchedulingTimeZone = "not a zone" }, [], Now);
        Assert.Equal(new DesiredTarget(2, 2, null, null), target);
    }
}
