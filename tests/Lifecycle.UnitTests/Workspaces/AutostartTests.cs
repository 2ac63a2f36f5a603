using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

public class AutostartTests
{
    [Fact]
    public void Scenario53_next_allowed_autostart_skips_forbidden_days()
    {
        // Mon 2024-01-01 10:00 UTC, schedule 09:00 Mon–Fri, template allows Monday only.
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=UTC 0 9 * * 1-5");
        var at = At("2024-01-01T10:00:00Z");

        var next = Autostart.Next(at, schedule, Weekdays.Monday);
        Assert.Equal(new AutostartOccurrence(At("2024-01-02T09:00:00Z"), false), next);
        Assert.Equal(At("2024-01-08T09:00:00Z"), Autostart.NextAllowed(at, schedule, Weekdays.Monday));
    }

    [Fact]
    public void No_allowed_day_within_seven_days_means_no_autostart()
    {
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=UTC 0 9 * * 6,0");
        Assert.Null(Autostart.NextAllowed(Monday0800, schedule, Weekdays.MondayToFriday));
        Assert.Null(Autostart.NextAllowed(Monday0800, "CRON_TZ=UTC 0 9 * * *", Weekdays.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a cron")]
    public void Missing_or_invalid_stored_schedule_has_no_next_start(string? schedule)
    {
        Assert.Null(Autostart.NextStartAt(Monday0800, schedule, Template()));
    }

    [Fact]
    public void Allowed_day_is_the_weekday_in_the_schedule_zone_not_UTC()
    {
        // 09:00 Monday in Auckland is Sunday 20:00 UTC: allowed on Monday only, it must still fire.
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=Pacific/Auckland 0 9 * * *");
        Assert.Equal(At("2024-01-07T20:00:00Z"), Autostart.NextAllowed(At("2024-01-03T00:00:00Z"), schedule, Weekdays.Monday));
    }

    [Fact]
    public void Scenario47_next_start_follows_a_change_of_allowed_days()
    {
        // Clock Mon 2024-01-01 08:00 UTC, schedule 09:00 Mon–Fri.
        const string schedule = "CRON_TZ=UTC 0 9 * * 1-5";
        Assert.Equal(At("2024-01-01T09:00:00Z"), Autostart.NextStartAt(Monday0800, schedule, Template() with { AutostartAllowedDays = Weekdays.MondayToFriday }));
        var tuesdayToFriday = Weekdays.MondayToFriday & ~Weekdays.Monday;
        Assert.Equal(At("2024-01-02T09:00:00Z"), Autostart.NextStartAt(Monday0800, schedule, Template() with { AutostartAllowedDays = tuesdayToFriday }));
    }

    [Fact]
    public void Blocked_days_bitmap_is_the_complement_of_allowed_days()
    {
        Assert.Equal(Weekdays.MondayToFriday, WeekdaysExtensions.FromBlockedDays(0b1100000));
        Assert.Equal(Weekdays.All, WeekdaysExtensions.FromBlockedDays(0));
    }

    [Fact]
    public void Scenario46_weekday_restricted_autostart_over_seven_ticks()
    {
        // Template allows Mon–Fri; the schedule fires 09:00 every day. Each day the workspace was stopped the
        // previous evening; at each 09:00 tick weekdays start and weekends do not, and next_start_at never lands
        // on a weekend.
        var template = Template() with { AutostartAllowedDays = Weekdays.MondayToFriday };
        var starts = new List<DayOfWeek>();
        for (var day = 0; day < 7; day++)
        {
            var tick = At("2024-01-01T09:00:00Z").AddDays(day);
            var facts = Stopped(tick.AddHours(-15), "CRON_TZ=UTC 0 9 * * *", template);
            Assert.NotEqual(DayOfWeek.Saturday, facts.Workspace.NextStartAt!.Value.DayOfWeek);
            Assert.NotEqual(DayOfWeek.Sunday, facts.Workspace.NextStartAt!.Value.DayOfWeek);
            if (WorkspaceLifecycle.Decide(facts, tick).Rule == LifecycleRule.Autostart)
                starts.Add(tick.DayOfWeek);
            var after = Autostart.NextStartAt(tick, facts.Workspace.AutostartSchedule, template);
            Assert.True(after > tick);
            Assert.True(after!.Value.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));
        }

        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], starts);
    }
}
