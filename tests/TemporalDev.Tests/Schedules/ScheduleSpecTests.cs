using Lifecycle.Testing.Temporal;
using Temporalio.Client.Schedules;
using Xunit;

namespace TemporalDev.Tests.Schedules;

/// <summary>Every spec form, compared through Describe with next action times worked out by hand.</summary>
[Collection(SchedulesCollection.Name)]
public sealed class ScheduleSpecTests(TemporalFixture temporal)
{
    private static DateTime Utc(int y, int mo, int d, int h = 0, int mi = 0) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Interval_with_phase_runs_at_the_offset_of_every_period()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Interval_with_phase_runs_at_the_offset_of_every_period));
        var handle = await scope.CreateAsync(new ScheduleSpec
        {
            Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1), TimeSpan.FromMinutes(15))],
            StartAt = Utc(2030, 1, 1),
        });

        var described = await handle.DescribeAsync();

        var interval = Assert.Single(described.Schedule.Spec.Intervals);
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)), (interval.Every, interval.Offset));
        Assert.Equal(
            [Utc(2030, 1, 1, 0, 15), Utc(2030, 1, 1, 1, 15), Utc(2030, 1, 1, 2, 15)],
            described.Info.NextActionTimes.Take(3));
        Assert.Equal(10, described.Info.NextActionTimes.Count);
    }

    [Fact]
    public async Task Cron_string_is_described_as_a_structured_calendar_and_runs_on_weekdays()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Cron_string_is_described_as_a_structured_calendar_and_runs_on_weekdays));
        var handle = await scope.CreateAsync(new ScheduleSpec { CronExpressions = ["0 12 * * MON-FRI"], StartAt = Utc(2027, 1, 1) });

        var described = await handle.DescribeAsync();

        Assert.Empty(described.Schedule.Spec.CronExpressions);
        var calendar = Assert.Single(described.Schedule.Spec.Calendars);
        Assert.Equal([new ScheduleRange(0, 0, 1)], calendar.Second);
        Assert.Equal([new ScheduleRange(0, 0, 1)], calendar.Minute);
        Assert.Equal([new ScheduleRange(12, 12, 1)], calendar.Hour);
        Assert.Equal([new ScheduleRange(1, 5, 1)], calendar.DayOfWeek);

        // 2027-01-01 is a Friday; the weekend is skipped.
        Assert.Equal(
            [Utc(2027, 1, 1, 12), Utc(2027, 1, 4, 12), Utc(2027, 1, 5, 12), Utc(2027, 1, 6, 12), Utc(2027, 1, 7, 12), Utc(2027, 1, 8, 12), Utc(2027, 1, 11, 12)],
            described.Info.NextActionTimes.Take(7));
    }

    [Fact]
    public async Task Structured_calendar_with_ranges_and_steps()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Structured_calendar_with_ranges_and_steps));
        var handle = await scope.CreateAsync(new ScheduleSpec
        {
            Calendars =
            [
                new ScheduleCalendarSpec
                {
                    Second = [new(0)],
                    Minute = [new(30)],
                    Hour = [new(9, 17, 4)],
                    DayOfMonth = [new(1, 10, 3)],
                    Month = [new(1, 12)],
                    DayOfWeek = [new(0, 6)],
                    Comment = "every fourth hour on every third day",
                },
            ],
            StartAt = Utc(2027, 3, 1),
        });

        var described = await handle.DescribeAsync();

        var calendar = Assert.Single(described.Schedule.Spec.Calendars);
        Assert.Equal([new ScheduleRange(9, 17, 4)], calendar.Hour);
        Assert.Equal([new ScheduleRange(1, 10, 3)], calendar.DayOfMonth);
        Assert.Equal("every fourth hour on every third day", calendar.Comment);
        Assert.Equal(
            [Utc(2027, 3, 1, 9, 30), Utc(2027, 3, 1, 13, 30), Utc(2027, 3, 1, 17, 30), Utc(2027, 3, 4, 9, 30), Utc(2027, 3, 4, 13, 30), Utc(2027, 3, 4, 17, 30), Utc(2027, 3, 7, 9, 30)],
            described.Info.NextActionTimes.Take(7));
    }

    [Fact]
    public async Task Excluded_times_and_the_end_time_bound_the_actions()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Excluded_times_and_the_end_time_bound_the_actions));
        var handle = await scope.CreateAsync(new ScheduleSpec
        {
            Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))],
            Skip = [new ScheduleCalendarSpec { Hour = [new(12, 13)], Minute = [new(0)], Second = [new(0)] }],
            StartAt = Utc(2027, 1, 1, 10),
            EndAt = Utc(2027, 1, 1, 15),
        });

        var described = await handle.DescribeAsync();

        Assert.Equal([new ScheduleRange(12, 13, 1)], Assert.Single(described.Schedule.Spec.Skip).Hour);
        Assert.Equal([Utc(2027, 1, 1, 10), Utc(2027, 1, 1, 11), Utc(2027, 1, 1, 14), Utc(2027, 1, 1, 15)], described.Info.NextActionTimes);
    }

    [Fact]
    public async Task Time_zone_follows_daylight_saving()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Time_zone_follows_daylight_saving));
        var handle = await scope.CreateAsync(new ScheduleSpec
        {
            CronExpressions = ["0 9 * * *"],
            TimeZoneName = "America/New_York",
            StartAt = Utc(2027, 3, 12),
        });

        var described = await handle.DescribeAsync();

        // 09:00 in New York is 14:00 UTC until daylight saving starts on Sunday 14 March 2027, then 13:00 UTC.
        Assert.Equal("America/New_York", described.Schedule.Spec.TimeZoneName);
        Assert.Equal(
            [Utc(2027, 3, 12, 14), Utc(2027, 3, 13, 14), Utc(2027, 3, 14, 13), Utc(2027, 3, 15, 13)],
            described.Info.NextActionTimes.Take(4));
    }

    [Fact]
    public async Task Jitter_delays_each_time_by_less_than_the_jitter()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Jitter_delays_each_time_by_less_than_the_jitter));
        var handle = await scope.CreateAsync(new ScheduleSpec
        {
            Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))],
            Jitter = TimeSpan.FromMinutes(10),
            StartAt = Utc(2030, 1, 1),
        });

        var described = await handle.DescribeAsync();

        Assert.Equal(TimeSpan.FromMinutes(10), described.Schedule.Spec.Jitter);
        var times = described.Info.NextActionTimes.ToList();
        for (var i = 0; i < times.Count; i++)
        {
            var nominal = Utc(2030, 1, 1).AddHours(i);
            Assert.InRange(times[i], nominal, nominal.AddMinutes(10));
        }

        Assert.Contains(times, t => t.Minute != 0 || t.Second != 0);
    }

    [Fact]
    public async Task Invalid_spec_is_refused_naming_the_problem()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Invalid_spec_is_refused_naming_the_problem));

        var e = await Assert.ThrowsAsync<Temporalio.Exceptions.RpcException>(() =>
            scope.CreateAsync(new ScheduleSpec { CronExpressions = ["0 25 * * *"] }));

        Assert.Equal(Temporalio.Exceptions.RpcException.StatusCode.InvalidArgument, e.Code);
        Assert.StartsWith("Invalid schedule spec: ", e.Message, StringComparison.Ordinal);
    }
}
