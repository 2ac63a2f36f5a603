using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

public class CronScheduleTests
{
    [Theory]
    [InlineData("0 9 * * 1-5", "CRON_TZ=UTC 0 9 * * 1-5")]
    [InlineData("CRON_TZ=UTC 0 * * * *", "CRON_TZ=UTC 0 * * * *")]
    [InlineData("CRON_TZ=Europe/Berlin   30 9 * * MON-FRI", "CRON_TZ=Europe/Berlin 30 9 * * MON-FRI")]
    [InlineData("CRON_TZ=Australia/Sydney 0 0 * * *", "CRON_TZ=Australia/Sydney 0 0 * * *")]
    [InlineData("CRON_TZ=America/New_York 15 7 * * 0,6", "CRON_TZ=America/New_York 15 7 * * 0,6")]
    public void Valid_weekly_schedules_serialise_with_their_zone(string text, string canonical)
    {
        Assert.Equal(canonical, CronSchedule.ParseWeekly(text).Text);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("CRON_TZ=Mars/Olympus_Mons 0 9 * * *", "unknown time zone \"Mars/Olympus_Mons\"")]
    [InlineData("CRON_TZ= 0 9 * * *", "names no time zone")]
    [InlineData("CRON_TZ=Eastern Standard Time 0 9 * * *", "unknown time zone \"Eastern\"")]
    [InlineData("CRON_TZ=Local 0 9 * * *", "\"Local\"")]
    [InlineData("TZ=UTC 0 9 * * *", "unknown prefix \"TZ=UTC\"")]
    [InlineData("0 0 9 * * *", "seconds field is not supported")]
    [InlineData("CRON_TZ=UTC 0 0 9 * * *", "seconds field is not supported")]
    [InlineData("0 9 *", "has 3 fields; expected 5 fields")]
    [InlineData("@daily", "has 1 fields; expected 5 fields")]
    [InlineData("0 9 1 * *", "day-of-month and month must be *")]
    [InlineData("0 9 * 1 *", "day-of-month and month must be *")]
    [InlineData("61 9 * * *", "invalid cron expression \"61 9 * * *\"")]
    [InlineData("0 25 * * *", "invalid cron expression")]
    [InlineData("0 9 * * funday", "invalid cron expression")]
    public void Invalid_schedules_are_rejected_with_the_field_and_the_problem(string text, string problem)
    {
        var e = Assert.Throws<ScheduleFormatException>(() => CronSchedule.ParseWeekly(text));
        Assert.Equal("autostart_schedule", e.Field);
        Assert.StartsWith("autostart_schedule: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.False(CronSchedule.TryParseWeekly(text, out var none, out var error));
        Assert.Null(none);
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void Daily_schedules_require_every_weekday()
    {
        var e = Assert.Throws<ScheduleFormatException>(() => CronSchedule.ParseDaily("CRON_TZ=UTC 0 0 * * 1"));
        Assert.Equal("quiet_hours_schedule: \"CRON_TZ=UTC 0 0 * * 1\": day-of-week must be * for a daily schedule", e.Message);
        Assert.Equal("CRON_TZ=UTC 0 0 * * *", CronSchedule.ParseDaily(LifecycleConstants.DefaultQuietHoursSchedule).Text);
    }

    [Theory]
    [InlineData("CRON_TZ=UTC 0 9 * * *", "2024-01-01T08:59:59Z", "2024-01-01T09:00:00Z")]
    [InlineData("CRON_TZ=UTC 0 9 * * *", "2024-01-01T09:00:00Z", "2024-01-02T09:00:00Z")] // strictly after
    [InlineData("CRON_TZ=UTC 0 9 * * *", "2024-01-01T09:00:01Z", "2024-01-02T09:00:00Z")]
    [InlineData("0 9 * * *", "2024-01-01T08:00:00Z", "2024-01-01T09:00:00Z")] // UTC when no zone, never server-local
    [InlineData("CRON_TZ=Europe/Berlin 0 9 * * *", "2024-01-01T07:00:00Z", "2024-01-01T08:00:00Z")] // CET = UTC+1
    [InlineData("CRON_TZ=Europe/Berlin 0 9 * * *", "2024-07-01T06:00:00Z", "2024-07-01T07:00:00Z")] // CEST = UTC+2
    [InlineData("CRON_TZ=Australia/Sydney 0 0 * * *", "2023-02-08T00:00:00Z", "2023-02-08T13:00:00Z")] // AEDT = UTC+11
    public void Next_is_the_first_occurrence_strictly_after(string schedule, string after, string expected)
    {
        Assert.Equal(At(expected), CronSchedule.ParseWeekly(schedule).Next(At(after)));
    }

    [Fact]
    public void A_time_skipped_by_spring_forward_does_not_happen_that_day()
    {
        // Europe/Berlin jumps 02:00 → 03:00 on Sun 2024-03-31; 02:30 does not exist that day.
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=Europe/Berlin 30 2 * * *");
        Assert.Equal(At("2024-04-01T00:30:00Z"), schedule.Next(At("2024-03-30T23:00:00Z")));
    }

    [Fact]
    public void A_time_repeated_by_fall_back_happens_once_at_its_first_occurrence()
    {
        // Europe/Berlin falls back 03:00 → 02:00 on Sun 2024-10-27; 02:30 happens at 00:30Z (CEST) and 01:30Z (CET).
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=Europe/Berlin 30 2 * * *");
        Assert.Equal(At("2024-10-27T00:30:00Z"), schedule.Next(At("2024-10-26T22:00:00Z")));
        Assert.Equal(At("2024-10-28T01:30:00Z"), schedule.Next(At("2024-10-27T00:30:00Z")));

        // From inside the second pass of the repeated hour (02:10 CET = 01:10Z) the first 02:30 is already past.
        Assert.Equal(At("2024-10-28T01:30:00Z"), schedule.Next(At("2024-10-27T01:10:00Z")));

        // A minutely schedule resumes right after the repeated hour's wall times, once each.
        var minutely = CronSchedule.ParseWeekly("CRON_TZ=Europe/Berlin * * * * *");
        Assert.Equal(At("2024-10-27T00:59:00Z"), minutely.Next(At("2024-10-27T00:58:30Z")));
        Assert.Equal(At("2024-10-27T02:00:00Z"), minutely.Next(At("2024-10-27T01:10:00Z")));
    }

    [Fact]
    public void Hours_around_a_DST_change_keep_their_wall_clock_time()
    {
        // Daily 09:00 Berlin: 08:00Z before the change, 07:00Z after.
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=Europe/Berlin 0 9 * * *");
        Assert.Equal(At("2024-03-30T08:00:00Z"), schedule.Next(At("2024-03-30T00:00:00Z")));
        Assert.Equal(At("2024-03-31T07:00:00Z"), schedule.Next(At("2024-03-30T08:00:00Z")));
    }

    [Fact]
    public void Weekday_is_read_in_the_schedule_zone()
    {
        var schedule = CronSchedule.ParseWeekly("CRON_TZ=Pacific/Auckland 0 0 * * *");

        // 2024-01-01 11:00Z is Tuesday 00:00 in Auckland (UTC+13).
        Assert.Equal(DayOfWeek.Tuesday, schedule.LocalDayOfWeek(At("2024-01-01T11:00:00Z")));
    }
}
