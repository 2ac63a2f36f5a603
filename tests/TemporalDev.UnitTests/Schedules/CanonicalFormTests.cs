using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Spec;
using Xunit;
using static TemporalDev.UnitTests.Schedules.SpecBuilder;

namespace TemporalDev.UnitTests.Schedules;

public class CanonicalFormTests
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    private static string Range(int start, int end, int step) => $"{{ \"start\": {start}, \"end\": {end}, \"step\": {step} }}".Replace("\"start\": 0, ", string.Empty, StringComparison.Ordinal);

    public static TheoryData<string, ScheduleSpec, string> DescribeCases() => new()
    {
        {
            // What the .NET SDK's own schedule test expects back for "0 12 * * MON".
            "cron becomes a structured calendar with defaults filled in",
            Cron("0 12 * * MON"),
            "{ \"structuredCalendar\": [ { \"second\": [ " + Range(0, 0, 1) + " ], \"minute\": [ " + Range(0, 0, 1) + " ], \"hour\": [ " + Range(12, 12, 1)
                + " ], \"dayOfMonth\": [ " + Range(1, 31, 1) + " ], \"month\": [ " + Range(1, 12, 1) + " ], \"dayOfWeek\": [ " + Range(1, 1, 1) + " ] } ] }"
        },
        {
            "cron time zone moves to timezone_name and the comment is kept",
            Cron("CRON_TZ=Europe/London 23 5,7 * * * # twice a day"),
            "{ \"structuredCalendar\": [ { \"second\": [ " + Range(0, 0, 1) + " ], \"minute\": [ " + Range(23, 23, 1) + " ], \"hour\": [ " + Range(5, 5, 1) + ", " + Range(7, 7, 1)
                + " ], \"dayOfMonth\": [ " + Range(1, 31, 1) + " ], \"month\": [ " + Range(1, 12, 1) + " ], \"dayOfWeek\": [ " + Range(0, 6, 1) + " ], \"comment\": \"twice a day\" } ], \"timezoneName\": \"Europe/London\" }"
        },
        {
            "@every becomes an interval",
            Cron("@every 43h"),
            "{ \"interval\": [ { \"interval\": \"154800s\" } ] }"
        },
        {
            "@every with phase",
            Cron("@every 14h/3h"),
            "{ \"interval\": [ { \"interval\": \"50400s\", \"phase\": \"10800s\" } ] }"
        },
        {
            "day of week 1-7/2 needs an extra Sunday",
            Cron("0 0 * * 1-7/2"),
            "{ \"structuredCalendar\": [ { \"second\": [ " + Range(0, 0, 1) + " ], \"minute\": [ " + Range(0, 0, 1) + " ], \"hour\": [ " + Range(0, 0, 1)
                + " ], \"dayOfMonth\": [ " + Range(1, 31, 1) + " ], \"month\": [ " + Range(1, 12, 1) + " ], \"dayOfWeek\": [ " + Range(0, 0, 1) + ", " + Range(1, 6, 2) + " ] } ] }"
        },
        {
            "structured ranges get end = start and step 1; year stays empty",
            Structured(NextTimeTests.Cal(second: [R(5)], minute: [R(0, 30, 10)])),
            "{ \"structuredCalendar\": [ { \"second\": [ " + Range(5, 5, 1) + " ], \"minute\": [ " + Range(0, 30, 10) + " ] } ] }"
        },
    };

    [Theory]
    [MemberData(nameof(DescribeCases))]
    public void Describe_returns_the_real_servers_normalised_spec(string name, ScheduleSpec spec, string expectedJson)
    {
        var described = ScheduleSpecCanonicalForm.Describe(CompiledScheduleSpec.Compile(spec).Canonical);
        var expected = JsonParser.Default.Parse<ScheduleSpec>(expectedJson);
        Assert.True(expected.Equals(described), $"{name}: {Json.Format(described)}");
    }

    [Fact]
    public void Canonical_form_keeps_the_compact_range_encoding_and_other_fields()
    {
        var spec = Cron("23 5,7 * * *");
        spec.Jitter = Duration.FromTimeSpan(TimeSpan.FromMinutes(5));
        spec.StartTime = Timestamp.FromDateTimeOffset(Utc(2022, 3, 23));
        spec.TimezoneName = "Europe/London";
        var canonical = ScheduleSpecCanonicalForm.Canonicalize(spec);
        Assert.Empty(canonical.CronString);
        var calendar = Assert.Single(canonical.StructuredCalendar);
        Assert.Equal([R(5), R(7)], calendar.Hour);
        Assert.Equal([R(1, 31)], calendar.DayOfMonth);
        Assert.Equal(spec.Jitter, canonical.Jitter);
        Assert.Equal(spec.StartTime, canonical.StartTime);
        Assert.Equal("Europe/London", canonical.TimezoneName);
        Assert.Single(spec.CronString);
    }

    [Fact]
    public void Canonicalising_twice_changes_nothing()
    {
        var spec = Cron("*/5 * * * *", "@every 1h");
        spec.TimezoneName = "Europe/Paris";
        var once = ScheduleSpecCanonicalForm.Canonicalize(spec);
        var twice = ScheduleSpecCanonicalForm.Canonicalize(once);
        Assert.Equal(once.ToString(), twice.ToString());
    }

    public static TheoryData<string, ScheduleSpec, string> InvalidCases()
    {
        var data = new TheoryData<string, ScheduleSpec, string>
        {
            { "too few cron fields", Cron("0 12 * *"), "CronString does not have 5-7 fields" },
            { "too many cron fields", Cron("0 0 12 * * * 2030 x"), "CronString does not have 5-7 fields" },
            { "minute out of range", Cron("61 12 * * *"), "Minute is not in range [0-59]" },
            { "range end before start", Cron("0 12-3 * * *"), "Hour End is before Start or not in range [0-23]" },
            { "bad step", Cron("*/0 * * * *"), "Minute has invalid Step" },
            { "too many slashes", Cron("1/2/3 * * * *"), "Minute has too many slashes" },
            { "too many dashes", Cron("1-2-3 * * * *"), "Minute has too many dashes" },
            { "unknown month name", Cron("0 0 1 foo *"), "Month is not in range [1-12]" },
            { "year before 2000", Cron("0 0 1 1 * 1999"), "Year is not in range [2000-2100]" },
            { "two errors are both reported", Cron("99 99 * * *"), "Minute is not in range [0-59], Hour is not in range [0-23]" },
            { "time zone without fields", Cron("CRON_TZ=UTC"), "CronString has time zone but missing fields" },
            { "@every without a duration", Cron("@every"), "CronString does not have interval after @every" },
            { "@every with a bad duration", Cron("@every 10x"), "time: unknown unit \"x\" in duration \"10x\"" },
            { "@every has no zone, so it conflicts with a zoned cron", Cron("CRON_TZ=UTC */5 * * * *", "@every 1h"), "conflicting timezone names" },
            { "conflicting cron time zones", Cron("CRON_TZ=Europe/London 0 * * * *", "CRON_TZ=America/New_York 0 * * * *"), "conflicting timezone names" },
            { "one cron string with a zone and one without", Cron("CRON_TZ=Europe/London 0 * * * *", "0 * * * *"), "conflicting timezone names" },
            { "unknown time zone", Cron("CRON_TZ=Mars/Olympus 0 * * * *"), "unknown time zone Mars/Olympus" },
            { "interval zero", Every(TimeSpan.Zero), "interval is too small" },
            { "interval negative", Every(TimeSpan.FromHours(-43)), "interval is too small" },
            { "interval below a second", Every(TimeSpan.FromMilliseconds(500)), "interval is too small" },
            { "phase equal to interval", Every(TimeSpan.FromHours(3), TimeSpan.FromHours(3)), "phase cannot be greater than Interval" },
            { "phase negative", Every(TimeSpan.FromHours(3), TimeSpan.FromHours(-1)), "phase is negative" },
            { "structured second out of range", Structured(NextTimeTests.Cal(second: [R(30, 60)])), "invalid calendar spec: Second End is before Start or not in range [0-59]" },
            { "structured day of week 7", Structured(NextTimeTests.Cal(dow: [R(7)])), "invalid calendar spec: DayOfWeek Start is not in range [0-6]" },
            { "structured negative step", Structured(NextTimeTests.Cal(second: [R(30, 40, -3)])), "invalid calendar spec: Second has invalid Step" },
            { "structured year after 2100", Structured(NextTimeTests.Cal(year: [R(2112)])), "invalid calendar spec: Year Start is not in range [2000-2100]" },
        };
        var tzConflict = Cron("CRON_TZ=America/New_York 23 5,7 * * *");
        tzConflict.TimezoneName = "Europe/London";
        data.Add("cron zone differs from timezone_name", tzConflict, "conflicting timezone names");
        var badZone = Every(TimeSpan.FromHours(1));
        badZone.TimezoneName = "Eastern Standard Time";
        data.Add("Windows zone names are not IANA names", badZone, "unknown time zone Eastern Standard Time");
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_specs_are_rejected_with_the_real_servers_message(string name, ScheduleSpec spec, string detail)
    {
        var error = Assert.Throws<ScheduleSpecException>(() => CompiledScheduleSpec.Compile(spec));
        Assert.True(detail == error.Detail, $"{name}: got \"{error.Detail}\"");
        Assert.Equal("Invalid schedule spec: " + detail, error.Message);
    }

    [Theory]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("90s", 90)]
    [InlineData("0", 0)]
    public void Go_durations_parse(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), GoDuration.Parse(text));
}
