using System.Reflection;
using System.Text.Json;
using Temporalio.Client.Schedules;
using TemporalDev.Schedules.Spec;
using Xunit;

namespace TemporalDev.UnitTests.Schedules;

/// <summary>
/// The .NET SDK's own schedule test (TemporalClientScheduleTests) creates this spec and expects this
/// Describe back, compared as JSON. Here the SDK's own proto conversions surround our canonical form.
/// </summary>
public class SdkDescribeTests
{
    // The SDK converts between its types and protos internally; the test reaches those conversions so the
    // comparison runs through exactly the code the SDK runs.
    private static readonly MethodInfo ToProto = typeof(ScheduleSpec).GetMethod("ToProto", BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly MethodInfo FromProto = typeof(ScheduleSpec).GetMethod("FromProto", BindingFlags.Static | BindingFlags.NonPublic)!;

    [Fact]
    public void Describe_gives_what_the_dotnet_sdk_test_expects()
    {
        var spec = new ScheduleSpec
        {
            Calendars =
            [
                new()
                {
                    Second = [new(1)],
                    Minute = [new(2, 3)],
                    Hour = [new(4, 5, 6)],
                    DayOfMonth = [new(7)],
                    Month = [new(9)],
                    Year = [new(2080)],
                    Comment = "spec comment 1",
                },
            ],
            Intervals = [new(Every: TimeSpan.FromDays(10), Offset: TimeSpan.FromDays(2))],
            CronExpressions = ["0 12 * * MON"],
            Skip = [new() { Year = [new(2050)] }],
            StartAt = new DateTime(2060, 7, 8, 9, 10, 11, DateTimeKind.Utc),
            Jitter = TimeSpan.FromSeconds(80),
        };
        var expected = spec with
        {
            CronExpressions = [],
            Calendars =
            [
                spec.Calendars.Single(),
                new()
                {
                    Second = [new(0)],
                    Minute = [new(0)],
                    Hour = [new(12)],
                    DayOfMonth = [new(1, 31)],
                    Month = [new(1, 12)],
                    DayOfWeek = [new(1)],
                },
            ],
        };

        var proto = (Temporalio.Api.Schedule.V1.ScheduleSpec)ToProto.Invoke(spec, null)!;
        var described = ScheduleSpecCanonicalForm.Describe(CompiledScheduleSpec.Compile(proto).Canonical);
        var actual = (ScheduleSpec)FromProto.Invoke(null, [described])!;

        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
    }
}
