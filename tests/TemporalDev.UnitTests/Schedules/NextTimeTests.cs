using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Spec;
using Xunit;
using static TemporalDev.UnitTests.Schedules.SpecBuilder;

namespace TemporalDev.UnitTests.Schedules;

public class NextTimeTests
{
    public static TheoryData<string, ScheduleSpec, DateTimeOffset, DateTimeOffset[]> Cases()
    {
        var data = new TheoryData<string, ScheduleSpec, DateTimeOffset, DateTimeOffset[]>
        {
            {
                "interval 90m aligns to the epoch",
                Every(TimeSpan.FromMinutes(90)),
                Utc(2022, 3, 23, 12, 53, 2),
                [Utc(2022, 3, 23, 13, 30), Utc(2022, 3, 23, 15, 0), Utc(2022, 3, 23, 16, 30)]
            },
            {
                "interval 90m with phase 5m44s",
                Every(TimeSpan.FromMinutes(90), new TimeSpan(0, 5, 44)),
                Utc(2022, 3, 23, 12, 53, 2),
                [Utc(2022, 3, 23, 13, 35, 44), Utc(2022, 3, 23, 15, 5, 44)]
            },
            {
                "interval: an exact match is not 'after'",
                Every(TimeSpan.FromMinutes(10)),
                Utc(2026, 11, 23, 8, 50),
                [Utc(2026, 11, 23, 9, 0), Utc(2026, 11, 23, 9, 10)]
            },
            {
                "cron 5 fields, day of week name",
                Cron("0 12 * * MON"),
                Utc(2026, 11, 23, 8, 50),
                [Utc(2026, 11, 23, 12, 0), Utc(2026, 11, 30, 12, 0)]
            },
            {
                "cron step over a range: hours 9-17/4",
                Cron("15 9-17/4 * * *"),
                Utc(2026, 1, 1),
                [Utc(2026, 1, 1, 9, 15), Utc(2026, 1, 1, 13, 15), Utc(2026, 1, 1, 17, 15), Utc(2026, 1, 2, 9, 15)]
            },
            {
                "cron */20 minutes with a list of hours",
                Cron("*/20 1,3 * * *"),
                Utc(2026, 1, 1, 1, 30),
                [Utc(2026, 1, 1, 1, 40), Utc(2026, 1, 1, 3, 0), Utc(2026, 1, 1, 3, 20)]
            },
            {
                "cron 7 fields: seconds first, then year",
                Cron("30 0 0 1 1 * 2027"),
                Utc(2026, 6, 1),
                [Utc(2027, 1, 1, 0, 0, 30)]
            },
            {
                "cron 6 fields: the sixth is the year, none after it",
                Cron("0 0 29 2 * 2028"),
                Utc(2026, 1, 1),
                [Utc(2028, 2, 29)]
            },
            {
                "@every with phase",
                Cron("@every 1h/15m"),
                Utc(2026, 1, 1, 0, 20),
                [Utc(2026, 1, 1, 1, 15), Utc(2026, 1, 1, 2, 15)]
            },
            { "@hourly", Cron("@hourly"), Utc(2026, 1, 1, 0, 20), [Utc(2026, 1, 1, 1, 0), Utc(2026, 1, 1, 2, 0)] },
            { "@daily", Cron("@daily"), Utc(2026, 1, 1, 0, 20), [Utc(2026, 1, 2), Utc(2026, 1, 3)] },
            { "@weekly is Sunday midnight", Cron("@weekly"), Utc(2026, 11, 23), [Utc(2026, 11, 29), Utc(2026, 12, 6)] },
            { "@monthly", Cron("@monthly"), Utc(2026, 11, 23), [Utc(2026, 12, 1), Utc(2027, 1, 1)] },
            { "@yearly", Cron("@yearly"), Utc(2026, 11, 23), [Utc(2027, 1, 1), Utc(2028, 1, 1)] },
            {
                "day of month 31 skips short months",
                Cron("0 6 31 * *"),
                Utc(2026, 1, 31, 7),
                [Utc(2026, 3, 31, 6), Utc(2026, 5, 31, 6)]
            },
            {
                "day of month and day of week must both match (not cron's OR)",
                Cron("0 0 13 * FRI"),
                Utc(2026, 1, 1),
                [Utc(2026, 2, 13), Utc(2026, 3, 13), Utc(2026, 11, 13)]
            },
            {
                "7 means Sunday",
                Cron("0 0 * * 7"),
                Utc(2026, 11, 23),
                [Utc(2026, 11, 29)]
            },
            {
                "calendar string: hour defaults to 0, second to 0",
                Calendar(new CalendarSpec { Minute = "*/15" }),
                Utc(2026, 1, 1, 0, 20),
                [Utc(2026, 1, 1, 0, 30), Utc(2026, 1, 1, 0, 45), Utc(2026, 1, 2, 0, 0)]
            },
            {
                "calendar string with month names",
                Calendar(new CalendarSpec { Hour = "8", DayOfMonth = "1", Month = "mar,sep" }),
                Utc(2026, 1, 1),
                [Utc(2026, 3, 1, 8), Utc(2026, 9, 1, 8), Utc(2027, 3, 1, 8)]
            },
            {
                "structured calendar with ranges and steps",
                Structured(Cal(second: [R(0)], minute: [R(0, 30, 30)], hour: [R(10, 12)], dom: [R(1, 31)], month: [R(1, 12)], dow: [R(1, 5)])),
                Utc(2026, 11, 27, 11, 40),
                [Utc(2026, 11, 27, 12, 0), Utc(2026, 11, 27, 12, 30), Utc(2026, 11, 30, 10, 0)]
            },
            {
                "two calendars interleave",
                Cron("0 9 * * *", "30 17 * * *"),
                Utc(2026, 1, 1),
                [Utc(2026, 1, 1, 9), Utc(2026, 1, 1, 17, 30), Utc(2026, 1, 2, 9)]
            },
        };

        var excluded = Cron("0 * * * *");
#pragma warning disable CS0612 // the deprecated string form of excludes is still accepted by the real server
        excluded.ExcludeCalendar.Add(new CalendarSpec { Hour = "12-13", Minute = "*", Second = "*" });
#pragma warning restore CS0612
        data.Add("exclude calendar skips hours 12 and 13", excluded, Utc(2026, 1, 1, 10, 30),
            [Utc(2026, 1, 1, 11), Utc(2026, 1, 1, 14), Utc(2026, 1, 1, 15)]);

        var excludedStructured = Every(TimeSpan.FromDays(1));
        excludedStructured.ExcludeStructuredCalendar.Add(Cal(second: [R(0)], minute: [R(0)], hour: [R(0)], dom: [R(1, 31)], month: [R(1, 12)], dow: [R(0), R(6)]));
        data.Add("exclude weekends from a daily interval", excludedStructured, Utc(2026, 11, 26, 1),
            [Utc(2026, 11, 27), Utc(2026, 11, 30), Utc(2026, 12, 1)]);

        var bounded = Every(TimeSpan.FromHours(1));
        bounded.StartTime = Timestamp.FromDateTimeOffset(Utc(2026, 1, 1, 5));
        bounded.EndTime = Timestamp.FromDateTimeOffset(Utc(2026, 1, 1, 7));
        data.Add("start time is inclusive, end time is inclusive, then nothing", bounded, Utc(2025, 12, 1),
            [Utc(2026, 1, 1, 5), Utc(2026, 1, 1, 6), Utc(2026, 1, 1, 7)]);

        var startMidInterval = Every(TimeSpan.FromHours(1));
        startMidInterval.StartTime = Timestamp.FromDateTimeOffset(Utc(2026, 1, 1, 5, 30));
        data.Add("start time between matches waits for the next match", startMidInterval, Utc(2025, 12, 1),
            [Utc(2026, 1, 1, 6), Utc(2026, 1, 1, 7)]);

        var tz = Cron("CRON_TZ=Asia/Kolkata 0 9 * * *");
        data.Add("CRON_TZ prefix: 09:00 in Kolkata is 03:30 UTC", tz, Utc(2026, 1, 1), [Utc(2026, 1, 1, 3, 30), Utc(2026, 1, 2, 3, 30)]);

        var spring = Cron("30 2 * * *");
        spring.TimezoneName = "America/New_York";
        data.Add("DST spring forward: 02:30 does not exist on 8 March, so that day has no action", spring, Utc(2026, 3, 6, 12),
            [Utc(2026, 3, 7, 7, 30), Utc(2026, 3, 9, 6, 30), Utc(2026, 3, 10, 6, 30)]);

        data.Add("DST spring forward with seconds (the real server's US/Pacific case)", Cron("CRON_TZ=US/Pacific 33 33 2 * * * *"),
            Utc(2022, 3, 12, 4), [Utc(2022, 3, 12, 10, 33, 33), Utc(2022, 3, 14, 9, 33, 33)]);

        var fall = Cron("30 * * * *");
        fall.TimezoneName = "America/New_York";
        data.Add("DST fall back: a repeated 01:30 runs twice", fall, Utc(2026, 11, 1, 4),
            [Utc(2026, 11, 1, 4, 30), Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 1, 6, 30), Utc(2026, 11, 1, 7, 30)]);

        var dailyInRepeatedHour = Cron("30 1 * * *");
        dailyInRepeatedHour.TimezoneName = "America/New_York";
        data.Add("DST fall back: a daily 01:30 runs in both copies of the repeated hour", dailyInRepeatedHour, Utc(2026, 10, 31, 12),
            [Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 1, 6, 30), Utc(2026, 11, 2, 6, 30)]);

        var londonDaily = Cron("0 8 * * *");
        londonDaily.TimezoneName = "Europe/London";
        data.Add("named zone: 08:00 London is 08:00 UTC in winter and 07:00 UTC in summer", londonDaily, Utc(2026, 3, 28, 9),
            [Utc(2026, 3, 29, 7), Utc(2026, 3, 30, 7)]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Next_times_match_the_hand_computed_ones(string name, ScheduleSpec spec, DateTimeOffset after, DateTimeOffset[] expected)
    {
        var compiled = CompiledScheduleSpec.Compile(spec);
        var actual = compiled.Upcoming("seed", after, expected.Length + 1).Select(t => t.Nominal).ToArray();
        Assert.True(actual.Length >= expected.Length, $"{name}: only {actual.Length} times");
        Assert.Equal(expected, actual.Take(expected.Length));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(5, 4)]
    public void Thirty_five_minutes_of_a_ten_minute_schedule_hold_three_or_four_actions(int startMinute, int expected)
    {
        var start = Utc(2026, 11, 23, 8, startMinute);
        var times = CompiledScheduleSpec.Compile(Every(TimeSpan.FromMinutes(10))).Upcoming("ns-sched", start, 10)
            .TakeWhile(t => t.Actual <= start.AddMinutes(35));
        Assert.Equal(expected, times.Count());
    }

    [Fact]
    public void End_time_stops_the_schedule()
    {
        var spec = Every(TimeSpan.FromHours(1));
        spec.EndTime = Timestamp.FromDateTimeOffset(Utc(2026, 1, 1, 7, 30));
        var times = CompiledScheduleSpec.Compile(spec).Upcoming(string.Empty, Utc(2026, 1, 1, 5, 30), 10).ToList();
        Assert.Equal([Utc(2026, 1, 1, 6), Utc(2026, 1, 1, 7)], times.Select(t => t.Nominal));
    }

    [Fact]
    public void A_fixed_date_in_the_past_has_no_next_time()
    {
        var spec = Calendar(new CalendarSpec { Hour = "13", Minute = "55", DayOfMonth = "7", Month = "4", Year = "2022" });
        Assert.Null(CompiledScheduleSpec.Compile(spec).NextTime(string.Empty, Utc(2026, 1, 1)));
    }

    [Fact]
    public void Excluding_everything_ends_instead_of_spinning()
    {
        var spec = Cron("0 0 * * *");
#pragma warning disable CS0612 // the deprecated string form of excludes is still accepted by the real server
        spec.ExcludeCalendar.Add(new CalendarSpec { Second = "*", Minute = "*", Hour = "*" });
#pragma warning restore CS0612
        Assert.Null(CompiledScheduleSpec.Compile(spec).NextTime(string.Empty, Utc(2026, 1, 1)));
    }

    [Fact]
    public void Without_jitter_the_actual_time_is_the_nominal_time()
    {
        var next = CompiledScheduleSpec.Compile(Cron("@hourly")).NextTime("ns-sched", Utc(2026, 1, 1, 0, 20));
        Assert.Equal(new ScheduleTime(Utc(2026, 1, 1, 1), Utc(2026, 1, 1, 1)), next);
    }

    [Fact]
    public void Sub_second_after_times_are_truncated_to_the_second()
    {
        var next = CompiledScheduleSpec.Compile(Every(TimeSpan.FromSeconds(1))).NextTime(string.Empty, Utc(2026, 1, 1, 0, 0, 0, 999));
        Assert.Equal(Utc(2026, 1, 1, 0, 0, 1), next!.Value.Nominal);
    }

    [Theory]
    [InlineData("wf", "2026-11-23T08:50:00Z", "wf-2026-11-23T08:50:00Z")]
    [InlineData("reconcile-all", "2026-11-23T09:50:00.750+01:00", "reconcile-all-2026-11-23T08:50:00Z")]
    public void Action_workflow_id_appends_the_nominal_time_in_utc_to_the_second(string workflowId, string nominal, string expected) =>
        Assert.Equal(expected, ScheduledWorkflowId.For(workflowId, DateTimeOffset.Parse(nominal, System.Globalization.CultureInfo.InvariantCulture)));

    internal static StructuredCalendarSpec Cal(
        Temporalio.Api.Schedule.V1.Range[]? second = null,
        Temporalio.Api.Schedule.V1.Range[]? minute = null,
        Temporalio.Api.Schedule.V1.Range[]? hour = null,
        Temporalio.Api.Schedule.V1.Range[]? dom = null,
        Temporalio.Api.Schedule.V1.Range[]? month = null,
        Temporalio.Api.Schedule.V1.Range[]? dow = null,
        Temporalio.Api.Schedule.V1.Range[]? year = null)
    {
        var c = new StructuredCalendarSpec();
        c.Second.AddRange(second ?? []);
        c.Minute.AddRange(minute ?? []);
        c.Hour.AddRange(hour ?? []);
        c.DayOfMonth.AddRange(dom ?? []);
        c.Month.AddRange(month ?? []);
        c.DayOfWeek.AddRange(dow ?? []);
        c.Year.AddRange(year ?? []);
        return c;
    }
}
