using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Calendar;
using TemporalDev.Schedules.Spec;
using Xunit;
using static TemporalDev.UnitTests.Schedules.SpecBuilder;

namespace TemporalDev.UnitTests.Schedules;

/// <summary>
/// Inputs and expected outputs taken from the real server's own tests (service/worker/scheduler/spec_test.go
/// and calendar_test.go), so this evaluator is checked against facts about the real server, jitter included.
/// </summary>
public class RealServerVectorTests
{
    public static TheoryData<string, ScheduleSpec, DateTimeOffset, DateTimeOffset?[]> Sequences()
    {
        var data = new TheoryData<string, ScheduleSpec, DateTimeOffset, DateTimeOffset?[]>();
        var basic = Calendar(new CalendarSpec { Hour = "5,7", Minute = "23" });
        data.Add("TestSpecCalendarBasic", basic, Utc(2022, 3, 23, 3),
            [Utc(2022, 3, 23, 5, 23), Utc(2022, 3, 23, 7, 23), Utc(2022, 3, 24, 5, 23), Utc(2022, 3, 24, 7, 23)]);

        var multiple = Calendar(new CalendarSpec { Hour = "5,7", Minute = "23" });
        multiple.Calendar.Add(new CalendarSpec { Hour = "11,13", Minute = "55" });
        data.Add("TestSpecCalendarMultiple", multiple, Utc(2022, 3, 23, 3),
            [Utc(2022, 3, 23, 5, 23), Utc(2022, 3, 23, 7, 23), Utc(2022, 3, 23, 11, 55), Utc(2022, 3, 23, 13, 55), Utc(2022, 3, 24, 5, 23)]);

        var calendarAndCron = Calendar(new CalendarSpec { Hour = "5,7", Minute = "23" });
        calendarAndCron.CronString.Add("55 11,13 * * *");
        data.Add("TestSpecCalendarAndCron", calendarAndCron, Utc(2022, 3, 23, 3),
            [Utc(2022, 3, 23, 5, 23), Utc(2022, 3, 23, 7, 23), Utc(2022, 3, 23, 11, 55), Utc(2022, 3, 23, 13, 55), Utc(2022, 3, 24, 5, 23)]);

        var mixed = Every(TimeSpan.FromMinutes(90), TimeSpan.FromMinutes(7));
        mixed.Calendar.Add(new CalendarSpec { Hour = "11,13", Minute = "55" });
        data.Add("TestSpecMixedCalendarInterval", mixed, Utc(2022, 3, 23, 10),
            [Utc(2022, 3, 23, 10, 37), Utc(2022, 3, 23, 11, 55), Utc(2022, 3, 23, 12, 7), Utc(2022, 3, 23, 13, 37), Utc(2022, 3, 23, 13, 55), Utc(2022, 3, 23, 15, 7)]);

        var exclude = Every(TimeSpan.FromMinutes(90));
#pragma warning disable CS0612 // the deprecated string form of excludes is still accepted by the real server
        exclude.ExcludeCalendar.Add(new CalendarSpec { Hour = "12-14", Minute = "*", Second = "*" });
#pragma warning restore CS0612
        exclude.Jitter = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        data.Add("TestSpecExclude (with jitter)", exclude, Utc(2022, 3, 23, 8),
            [Utc(2022, 3, 23, 9, 0, 0, 235), Utc(2022, 3, 23, 10, 30, 0, 139), Utc(2022, 3, 23, 15, 0, 0, 89), Utc(2022, 3, 23, 16, 30, 0, 687)]);

        var start = Every(TimeSpan.FromMinutes(90));
        start.StartTime = Timestamp.FromDateTimeOffset(Utc(2022, 3, 23, 12));
        start.Jitter = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        data.Add("TestSpecStartTime", start, Utc(2022, 3, 23, 8),
            [Utc(2022, 3, 23, 12, 0, 0, 162), Utc(2022, 3, 23, 13, 30, 0, 587), Utc(2022, 3, 23, 15, 0, 0, 89)]);

        var startMinusOne = Every(TimeSpan.FromHours(1));
        startMinusOne.StartTime = Timestamp.FromDateTimeOffset(Utc(2022, 3, 23, 12, 0, 0, 456));
        data.Add("TestSpecStartTimeMinusOneSecond", startMinusOne, Utc(2022, 3, 23, 12, 0, 0, 123), [Utc(2022, 3, 23, 13)]);

        var end = Every(TimeSpan.FromMinutes(90));
        end.EndTime = Timestamp.FromDateTimeOffset(Utc(2022, 3, 23, 14));
        end.Jitter = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        data.Add("TestSpecEndTime", end, Utc(2022, 3, 23, 11), [Utc(2022, 3, 23, 12, 0, 0, 162), Utc(2022, 3, 23, 13, 30, 0, 587), null]);

        var single = Calendar(new CalendarSpec { Hour = "13", Minute = "55", DayOfMonth = "7", Month = "4", Year = "2022" });
        single.Jitter = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        data.Add("TestSpecJitterSingleRun (no following time bounds the jitter)", single, Utc(2022, 3, 23, 11), [Utc(2022, 4, 7, 13, 57, 26, 927), null]);

        var excludeAll = Every(TimeSpan.FromDays(7));
#pragma warning disable CS0612 // the deprecated string form of excludes is still accepted by the real server
        excludeAll.ExcludeCalendar.Add(new CalendarSpec { Second = "*", Minute = "*", Hour = "*" });
#pragma warning restore CS0612
        data.Add("TestExcludeAll", excludeAll, Utc(2022, 3, 23, 12, 53, 2), [null]);

        var onlyFiftyNine = Calendar(new CalendarSpec { Second = "*", Minute = "*", Hour = "*" });
#pragma warning disable CS0612 // the deprecated string form of excludes is still accepted by the real server
        onlyFiftyNine.ExcludeCalendar.Add(new CalendarSpec { Second = "0-58", Minute = "*", Hour = "*" });
#pragma warning restore CS0612
        data.Add("TestGetNextTimeComputeLimitWarningThenResolves", onlyFiftyNine, Utc(2022, 3, 23, 12), [Utc(2022, 3, 23, 12, 0, 59)]);

        // calendar_test.go TestCalendarNextDST, "jump back": US/Pacific repeats 01:00-02:00 on 7 Nov 2021 (PDT -7, then PST -8).
        data.Add("TestCalendarNextDST jump back", Cron("CRON_TZ=US/Pacific 33 33,44 1 * * * *"), Utc(2021, 11, 7, 7, 15, 15),
            [Utc(2021, 11, 7, 8, 33, 33), Utc(2021, 11, 7, 8, 44, 33), Utc(2021, 11, 7, 9, 33, 33), Utc(2021, 11, 7, 9, 44, 33), Utc(2021, 11, 8, 9, 33, 33)]);

        // calendar_test.go TestCalendarNextDST, "spring forward": 13 March 2022 has no 02:33:33.
        data.Add("TestCalendarNextDST spring forward", Cron("CRON_TZ=US/Pacific 33 33 2 * * * *"), Utc(2022, 3, 12, 4),
            [Utc(2022, 3, 12, 10, 33, 33), Utc(2022, 3, 14, 9, 33, 33)]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sequences))]
    public void Sequence_matches_the_real_server(string name, ScheduleSpec spec, DateTimeOffset after, DateTimeOffset?[] expected)
    {
        var compiled = CompiledScheduleSpec.Compile(spec);
        foreach (var want in expected)
        {
            var got = compiled.NextTime(string.Empty, after);
            Assert.True(want == got?.Actual, $"{name}: after {after:O} expected {want:O}, got {got?.Actual:O}");
            if (got == null)
            {
                break;
            }
            after = got.Value.Actual;
        }
    }

    [Fact]
    public void Repeated_hour_walk_from_inside_the_second_copy()
    {
        // calendar_test.go TestCalendarDSTStartInRepeatedHourButNotEnd (Europe/London).
        var london = ZoneClock.Load("Europe/London");
        var calendar = new CompiledCalendar(
            CalendarSpecParser.ToStructured(new CalendarSpec { Second = "0", Minute = "1", Hour = "0", DayOfMonth = "2", Month = "Jan", DayOfWeek = "Sun" }),
            london);
        Assert.Equal(Utc(2005, 1, 2, 0, 1), calendar.Next(Utc(2004, 1, 1, 0, 0, 5)));
        Assert.Equal(Utc(2005, 1, 2, 0, 1), calendar.Next(Utc(2004, 10, 31, 1, 7, 3)));
    }

    [Theory]
    [InlineData("0", true, false)]
    [InlineData("7", true, false)]
    [InlineData("sun", true, false)]
    [InlineData("*", true, true)]
    [InlineData("0-3", true, false)]
    [InlineData("5-7", true, true)]
    [InlineData("5-7/2", true, false)]
    [InlineData("6-7", true, true)]
    [InlineData("2-7/5", true, false)]
    [InlineData("0-7/7", true, false)]
    [InlineData("0/7", true, false)]
    [InlineData("2/4", false, true)]
    [InlineData("2-7/4", false, true)]
    public void Day_of_week_strings_match_sunday_and_saturday_as_on_the_real_server(string dayOfWeek, bool sunday, bool saturday)
    {
        var calendar = new CompiledCalendar(CalendarSpecParser.ToStructured(new CalendarSpec { DayOfWeek = dayOfWeek }), ZoneClock.Utc);
        Assert.Equal(sunday, calendar.Matches(Utc(2022, 3, 6)));
        Assert.Equal(saturday, calendar.Matches(Utc(2022, 3, 5)));
        Assert.False(calendar.Matches(Utc(2022, 3, 7)) && dayOfWeek is not ("*" or "0-3"));
    }

    [Fact]
    public void Calendar_matching_in_a_named_zone()
    {
        var pacific = ZoneClock.Load("US/Pacific");
        var calendar = new CompiledCalendar(
            CalendarSpecParser.ToStructured(new CalendarSpec { Second = "55", Minute = "55", Hour = "5", DayOfWeek = "wed-thurs", DayOfMonth = "2/2" }),
            pacific);
        Assert.False(calendar.Matches(Utc(2022, 3, 9, 13, 55, 55)));
        Assert.True(calendar.Matches(Utc(2022, 3, 10, 13, 55, 55)));
        Assert.True(calendar.Matches(Utc(2022, 3, 16, 12, 55, 55)));
        Assert.False(calendar.Matches(Utc(2022, 3, 16, 13, 55, 55)));
        Assert.True(calendar.Matches(Utc(2022, 2, 10, 13, 55, 55)));
    }

    [Fact]
    public void Cron_with_everything_parses_like_the_real_server()
    {
        var meaning = CronString.Parse("CRON_TZ=US/Pacific 55 55,57 5 2/2 * wed-thurs *  # explanation");
        Assert.Equal("US/Pacific", meaning.TimeZoneName);
        var c = meaning.Calendar!;
        Assert.Equal([R(55)], c.Second);
        Assert.Equal([R(55), R(57)], c.Minute);
        Assert.Equal([R(5)], c.Hour);
        Assert.Equal([R(2, 31, 2)], c.DayOfMonth);
        Assert.Equal([R(1, 12)], c.Month);
        Assert.Equal([R(3, 4)], c.DayOfWeek);
        Assert.Empty(c.Year);
        Assert.Equal("explanation", c.Comment);
    }
}
