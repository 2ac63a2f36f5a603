using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Deadline and max deadline at build completion (spec A28, §4.3 scenarios 54–56, Coder's TestCalculateAutoStop).</summary>
public class AutostopCalculationTests
{
    private const string SydneyQuietHours = "CRON_TZ=Australia/Sydney 0 0 * * *";
    private static readonly DateTimeOffset Now = At("2024-05-15T12:34:56Z");
    private static readonly TimeZoneInfo Sydney = TimeZoneInfo.FindSystemTimeZoneById("Australia/Sydney");

    // Wednesday 2023-02-08 00:00 UTC: not an applicable week for fortnightly or triweekly requirements.
    private static readonly DateTimeOffset WednesdayMidnightUtc = At("2023-02-08T00:00:00Z");
    private static readonly DateTimeOffset FridayEveningSydney = Local(2023, 2, 10, 22, 0);
    private static readonly DateTimeOffset SaturdayMidnightSydney = Local(2023, 2, 11, 0, 0);

    private sealed record Case(
        DateTimeOffset Now,
        TimeSpan? WorkspaceTtl = null,
        bool AllowUserAutostop = true,
        TimeSpan DefaultTtl = default,
        Weekdays RequirementDays = Weekdays.None,
        int RequirementWeeks = 1,
        string? QuietHours = null,
        string? Autostart = null,
        DateTimeOffset? Deadline = null,
        DateTimeOffset? MaxDeadline = null,
        string? Error = null);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["OK: nothing set, no deadline"] = new(Now),
        ["WorkspaceTTL"] = new(Now, WorkspaceTtl: TimeSpan.FromHours(1), Deadline: Now.AddHours(1)),
        ["TemplateDefaultTTLIgnored when users may set their own"] = new(Now, DefaultTtl: TimeSpan.FromHours(1)),
        ["WorkspaceTTLOverridesTemplateDefaultTTL"] = new(Now, WorkspaceTtl: TimeSpan.FromHours(1), DefaultTtl: TimeSpan.FromHours(2), Deadline: Now.AddHours(1)),
        ["TemplateBlockWorkspaceTTL"] = new(Now, WorkspaceTtl: TimeSpan.FromHours(4), AllowUserAutostop: false, DefaultTtl: TimeSpan.FromHours(3), Deadline: Now.AddHours(3)),
        ["TemplateBlockWorkspaceTTL with no default: no deadline"] = new(Now, WorkspaceTtl: TimeSpan.FromHours(4), AllowUserAutostop: false),
        ["TemplateRestartRequirement"] = new(WednesdayMidnightUtc, RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney, MaxDeadline: SaturdayMidnightSydney),
        ["TemplateRestartRequirement1HourSkip"] = new(SaturdayMidnightSydney.AddMinutes(-59), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney.AddDays(7), MaxDeadline: SaturdayMidnightSydney.AddDays(7)),
        ["TemplateRestartRequirement within the 2 h leeway skips a week"] = new(SaturdayMidnightSydney.AddMinutes(-119), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney.AddDays(7), MaxDeadline: SaturdayMidnightSydney.AddDays(7)),
        ["TemplateRestartRequirementDaily"] = new(FridayEveningSydney, RequirementDays: Weekdays.All, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney, MaxDeadline: SaturdayMidnightSydney),
        ["TemplateRestartRequirementFortnightly/Skip"] = new(WednesdayMidnightUtc, RequirementDays: Weekdays.Saturday, RequirementWeeks: 2, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney.AddDays(7), MaxDeadline: SaturdayMidnightSydney.AddDays(7)),
        ["TemplateRestartRequirementFortnightly/NoSkip"] = new(WednesdayMidnightUtc.AddDays(7), RequirementDays: Weekdays.Saturday, RequirementWeeks: 2, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney.AddDays(7), MaxDeadline: SaturdayMidnightSydney.AddDays(7)),
        ["TemplateRestartRequirementTriweekly/Skip"] = new(WednesdayMidnightUtc, RequirementDays: Weekdays.Saturday, RequirementWeeks: 3, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney.AddDays(7), MaxDeadline: SaturdayMidnightSydney.AddDays(7)),
        ["TemplateRestartRequirementTriweekly/NoSkip"] = new(WednesdayMidnightUtc.AddDays(7), RequirementDays: Weekdays.Saturday, RequirementWeeks: 3, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney.AddDays(7), MaxDeadline: SaturdayMidnightSydney.AddDays(7)),
        ["TemplateRestartRequirementOverridesWorkspaceTTL"] = new(FridayEveningSydney, WorkspaceTtl: TimeSpan.FromHours(3), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: SaturdayMidnightSydney, MaxDeadline: SaturdayMidnightSydney),
        ["TemplateRestartRequirementOverridesTemplateDefaultTTL"] = new(FridayEveningSydney, AllowUserAutostop: false, DefaultTtl: TimeSpan.FromHours(3), RequirementDays: Weekdays.Saturday,
            QuietHours: SydneyQuietHours, Deadline: SaturdayMidnightSydney, MaxDeadline: SaturdayMidnightSydney),
        ["Deadline earlier than the max deadline is kept"] = new(FridayEveningSydney, WorkspaceTtl: TimeSpan.FromMinutes(30), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: FridayEveningSydney.AddMinutes(30), MaxDeadline: SaturdayMidnightSydney),
        ["Requirement without quiet hours sets no max deadline"] = new(FridayEveningSydney, WorkspaceTtl: TimeSpan.FromHours(3), RequirementDays: Weekdays.Saturday,
            Deadline: FridayEveningSydney.AddHours(3)),
        ["TimeBeforeEpoch"] = new(Local(2023, 1, 1, 21, 59, 59), RequirementDays: Weekdays.Saturday, RequirementWeeks: 2, QuietHours: SydneyQuietHours,
            Error: "system clock is incorrect"),
        ["DaylightSavings/OK"] = new(Local(2023, 10, 4, 0, 0), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: Local(2023, 10, 7, 0, 0), MaxDeadline: Local(2023, 10, 7, 0, 0)),
        ["DaylightSavings/SwitchMidWeek/In"] = new(Local(2023, 10, 1, 0, 0), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: Local(2023, 10, 7, 0, 0), MaxDeadline: Local(2023, 10, 7, 0, 0)),
        ["DaylightSavings/SwitchMidWeek/Out"] = new(Local(2024, 4, 7, 0, 0), RequirementDays: Weekdays.Saturday, QuietHours: SydneyQuietHours,
            Deadline: Local(2024, 4, 13, 0, 0), MaxDeadline: Local(2024, 4, 13, 0, 0)),

        // Quiet hours at 02:30 on the day Sydney skips 02:00–03:00: that day has no quiet hours, so the next day's.
        ["DaylightSavings/QuietHoursFallsOnDstSwitch/In"] = new(Local(2023, 9, 30, 0, 0), RequirementDays: Weekdays.Sunday, QuietHours: "CRON_TZ=Australia/Sydney 30 2 * * *",
            Deadline: Local(2023, 10, 2, 2, 30), MaxDeadline: Local(2023, 10, 2, 2, 30)),
        ["DaylightSavings/QuietHoursFallsOnDstSwitch/Out"] = new(Local(2024, 4, 6, 0, 0), RequirementDays: Weekdays.Sunday, QuietHours: "CRON_TZ=Australia/Sydney 30 3 * * *",
            Deadline: Local(2024, 4, 7, 3, 30), MaxDeadline: Local(2024, 4, 7, 3, 30)),

        // Scenario 56 (issue #12864): autostart 09:00, TTL 12 h, manual start 21:45 ⇒ 21:00 next day, not 09:45.
        ["Deadline crossing the next autostart counts from it"] = new(At("2024-01-01T21:45:00Z"), WorkspaceTtl: TimeSpan.FromHours(12), Autostart: "CRON_TZ=UTC 0 9 * * *",
            Deadline: At("2024-01-02T21:00:00Z")),
        ["Deadline before the next autostart is kept"] = new(At("2024-01-01T12:00:00Z"), WorkspaceTtl: TimeSpan.FromHours(8), Autostart: "CRON_TZ=UTC 0 9 * * *",
            Deadline: At("2024-01-01T20:00:00Z")),
        ["Crossing a forbidden autostart day is not extended"] = new(At("2024-01-05T21:45:00Z"), WorkspaceTtl: TimeSpan.FromHours(12), Autostart: "CRON_TZ=UTC 0 9 * * *",
            Deadline: At("2024-01-06T09:45:00Z")), // Saturday 09:00 is not allowed (template allows Mon–Fri below)
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Deadline_and_max_deadline_at_completion(string name)
    {
        var c = Cases[name];
        var template = Template() with
        {
            AllowUserAutostop = c.AllowUserAutostop,
            DefaultTtl = c.DefaultTtl,
            AutostopRequirement = new AutostopRequirement(c.RequirementDays, c.RequirementWeeks),
            AutostartAllowedDays = name.StartsWith("Crossing a forbidden", StringComparison.Ordinal) ? Weekdays.MondayToFriday : Weekdays.All,
        };
        var workspace = new WorkspaceSettings { LastUsedAt = c.Now, Ttl = c.WorkspaceTtl, AutostartSchedule = c.Autostart };

        var times = AutostopCalculation.AtCompletion(BuildTransition.Start, c.Now, workspace, template, c.QuietHours);

        if (c.Error is not null)
        {
            Assert.Contains(c.Error, times.Error, StringComparison.Ordinal);
            return;
        }

        Assert.Null(times.Error);
        Assert.Equal(c.Deadline, times.Deadline);
        Assert.Equal(c.MaxDeadline, times.MaxDeadline);
    }

    [Theory]
    [InlineData(BuildTransition.Stop)]
    [InlineData(BuildTransition.Delete)]
    public void Only_start_builds_get_a_deadline(BuildTransition transition)
    {
        var workspace = new WorkspaceSettings { LastUsedAt = Now, Ttl = TimeSpan.FromHours(1) };
        Assert.Equal(AutostopTimes.None, AutostopCalculation.AtCompletion(transition, Now, workspace, Template(), LifecycleConstants.DefaultQuietHoursSchedule));
    }

    [Fact]
    public void Invalid_quiet_hours_are_an_error_naming_the_field()
    {
        var template = Template() with { AutostopRequirement = new AutostopRequirement(Weekdays.Saturday, 1) };
        var times = AutostopCalculation.AtCompletion(BuildTransition.Start, Now, new WorkspaceSettings { LastUsedAt = Now }, template, "CRON_TZ=UTC 0 0 * * 1");
        Assert.StartsWith("quiet_hours_schedule:", times.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2023-01-02", 0L)]
    [InlineData("2023-01-08", 0L)]
    [InlineData("2023-01-09", 1L)]
    [InlineData("2023-02-08", 5L)]
    [InlineData("2024-01-01", 52L)]
    public void Weeks_since_epoch_count_calendar_days(string day, long weeks)
    {
        Assert.Equal((weeks, (string?)null), AutostopCalculation.WeeksSinceEpoch(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Next_applicable_monday_of_n_weeks()
    {
        // 2023-02-08 is in week 5: fortnightly → week 6 (Mon 2023-02-13), triweekly → week 6 too, weekly → same day.
        var day = new DateOnly(2023, 2, 8);
        Assert.Equal((new DateOnly(2023, 2, 13), (string?)null), AutostopCalculation.NextApplicableMonday(day, 2));
        Assert.Equal((new DateOnly(2023, 2, 13), (string?)null), AutostopCalculation.NextApplicableMonday(day, 3));
        Assert.Equal((day, (string?)null), AutostopCalculation.NextApplicableMonday(day, 1));
        Assert.Contains("system clock is incorrect", AutostopCalculation.NextApplicableMonday(new DateOnly(2022, 12, 31), 2).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_change_clamps_the_deadline_to_the_new_max_deadline()
    {
        // A build completed Wed 2023-02-08 00:00Z with an 80 h TTL; the template now requires a Saturday stop.
        var completed = WednesdayMidnightUtc;
        var build = new LatestBuild
        {
            Transition = BuildTransition.Start,
            Status = BuildStatus.Succeeded,
            CreatedAt = completed,
            CompletedAt = completed,
            Deadline = completed.AddHours(80),
        };
        var template = Template() with { AutostopRequirement = new AutostopRequirement(Weekdays.Saturday, 1) };
        var workspace = new WorkspaceSettings { LastUsedAt = completed, Ttl = TimeSpan.FromHours(80) };

        var times = AutostopCalculation.AfterTemplateChange(build, completed.AddHours(1), workspace, template, SydneyQuietHours);
        Assert.Equal(SaturdayMidnightSydney, times.MaxDeadline);
        Assert.Equal(SaturdayMidnightSydney, times.Deadline);

        // No deadline before: it becomes the max deadline.
        var noDeadline = AutostopCalculation.AfterTemplateChange(build with { Deadline = null }, completed.AddHours(1), workspace, template, SydneyQuietHours);
        Assert.Equal(SaturdayMidnightSydney, noDeadline.Deadline);

        // Changed within 2 h of the new max deadline: the grace moves it to now + 2 h.
        var late = SaturdayMidnightSydney.AddMinutes(-30);
        var graced = AutostopCalculation.AfterTemplateChange(build, late, workspace, template, SydneyQuietHours);
        Assert.Equal(late.AddHours(2), graced.MaxDeadline);
        Assert.Equal(late.AddHours(2), graced.Deadline);

        // A build already within 2 h of its own max deadline is left alone.
        var close = build with { MaxDeadline = late.AddHours(1), Deadline = late.AddHours(1) };
        Assert.Equal(new AutostopTimes(close.Deadline, close.MaxDeadline), AutostopCalculation.AfterTemplateChange(close, late, workspace, template, SydneyQuietHours));
    }

    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute, int second = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Sydney.GetUtcOffset(local)).ToUniversalTime();
    }
}
