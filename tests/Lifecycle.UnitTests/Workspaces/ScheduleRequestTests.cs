using System.Text.Json;
using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Claim and schedule-change inputs, notification wording, and payload serialisation.</summary>
public class ScheduleRequestTests
{
    [Theory]
    [InlineData(null, true, 0, null)]
    [InlineData(0, true, 0, null)]
    [InlineData(null, true, 120, 120)] // none asked: the template default
    [InlineData(90, true, 120, 90)]
    [InlineData(90, false, 120, 120)] // users may not set autostop: the template default wins
    [InlineData(90, false, 0, null)]
    [InlineData(1, true, 0, 1)]
    [InlineData(43200, true, 0, 43200)] // 30 days
    public void Ttl_follows_the_template_policy(int? requestedMinutes, bool allowUserAutostop, int defaultMinutes, int? expectedMinutes)
    {
        var template = Template() with { AllowUserAutostop = allowUserAutostop, DefaultTtl = TimeSpan.FromMinutes(defaultMinutes) };
        var requested = requestedMinutes is { } r ? TimeSpan.FromMinutes(r) : (TimeSpan?)null;
        var expected = expectedMinutes is { } e ? TimeSpan.FromMinutes(e) : (TimeSpan?)null;
        Assert.Equal(expected, WorkspaceScheduleRequest.ValidTtl(requested, template));
    }

    [Fact]
    public void Ttl_is_truncated_to_whole_minutes() =>
        Assert.Equal(TimeSpan.FromMinutes(5), WorkspaceScheduleRequest.ValidTtl(TimeSpan.FromSeconds(359), Template()));

    [Theory]
    [InlineData(59, "ttl must be at least 1 minute")]
    [InlineData(30 * 24 * 3600 + 60, "ttl must be at most 30 days")]
    public void Ttl_out_of_range_is_rejected(int seconds, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => WorkspaceScheduleRequest.ValidTtl(TimeSpan.FromSeconds(seconds), Template()));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Claim_sets_schedule_ttl_next_start_fresh_last_used_and_clears_dormancy()
    {
        var now = At("2024-01-01T11:01:00Z");
        var template = Template() with { DefaultTtl = TimeSpan.FromHours(2) };
        var settings = WorkspaceScheduleRequest.ForClaim(now, "30 9 * * 1-5", TimeSpan.FromHours(8), AutomaticUpdates.Always, template);
        Assert.Equal("CRON_TZ=UTC 30 9 * * 1-5", settings.AutostartSchedule);
        Assert.Equal(TimeSpan.FromHours(8), settings.Ttl);
        Assert.Equal(now, settings.LastUsedAt);
        Assert.Null(settings.DormantAt);
        Assert.Null(settings.DeletingAt);
        Assert.Equal(AutomaticUpdates.Always, settings.AutomaticUpdates);
        Assert.Equal(At("2024-01-02T09:30:00Z"), settings.NextStartAt);
        Assert.Throws<ScheduleFormatException>(() => WorkspaceScheduleRequest.ForClaim(now, "0 0 9 * * *", null, AutomaticUpdates.Never, template));
    }

    [Fact]
    public void Clearing_the_ttl_clears_the_running_deadline_down_to_the_max_deadline()
    {
        var now = At("2024-01-01T12:00:00Z");
        var build = Running(now.AddHours(-1), now.AddHours(7)).LatestBuild;
        Assert.Null(WorkspaceScheduleRequest.DeadlineAfterTtlChange(build, null, now));
        Assert.Equal(now.AddHours(10), WorkspaceScheduleRequest.DeadlineAfterTtlChange(build with { MaxDeadline = now.AddHours(10) }, null, now));
        Assert.Equal(now.AddHours(7), WorkspaceScheduleRequest.DeadlineAfterTtlChange(build, TimeSpan.FromHours(1), now));
    }

    [Theory]
    [InlineData(0, "now")]
    [InlineData(1, "1 second from now")]
    [InlineData(45, "45 seconds from now")]
    [InlineData(-90, "1 minute ago")]
    [InlineData(15 * 60, "15 minutes from now")]
    [InlineData(3 * 3600, "3 hours from now")]
    [InlineData(36 * 3600, "1 day from now")]
    [InlineData(-3 * 86400, "3 days ago")]
    [InlineData(10 * 86400, "1 week from now")]
    [InlineData(21 * 86400, "3 weeks from now")]
    [InlineData(35 * 86400, "1 month from now")]
    [InlineData(90 * 86400, "3 months from now")]
    [InlineData(400 * 86400, "1 year from now")]
    public void Relative_times_read_like_go_humanize(int seconds, string expected)
    {
        var now = At("2024-01-01T00:00:00Z");
        Assert.Equal(expected, RelativeTime.Describe(now.AddSeconds(seconds), now));
    }

    [Fact]
    public void Facts_and_decisions_round_trip_through_System_Text_Json()
    {
        var facts = Stopped(At("2024-01-01T18:00:00Z"), "CRON_TZ=Europe/Berlin 0 9 * * 1-5", Template() with
        {
            AutostopRequirement = new AutostopRequirement(Weekdays.Saturday | Weekdays.Sunday, 2),
            AutostartAllowedDays = Weekdays.MondayToFriday,
            TimeTilDormant = TimeSpan.FromDays(30),
        }).Dormant(At("2024-01-02T00:00:00Z"), At("2024-02-01T00:00:00Z")) with { OwnerStatus = OwnerStatus.Suspended };

        var json = JsonSerializer.Serialize(facts);
        Assert.Contains("\"OwnerStatus\":\"Suspended\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Transition\":\"Stop\"", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<WorkspaceFacts>(json)!;
        Assert.Equal(facts.Template, back.Template);
        Assert.Equal(facts.Workspace, back.Workspace);
        Assert.Equal(facts.LatestBuild, back.LatestBuild);
        Assert.Equal(facts with { Template = back.Template, Workspace = back.Workspace, LatestBuild = back.LatestBuild }, back);

        var decision = new WorkspaceDecision { Rule = LifecycleRule.Dormancy, Transition = BuildTransition.Stop, Reason = BuildReason.Dormancy, MarkDormant = true };
        Assert.Equal(decision, JsonSerializer.Deserialize<WorkspaceDecision>(JsonSerializer.Serialize(decision)));
    }

    [Fact]
    public void Facts_travel_as_Temporal_payloads()
    {
        var facts = Running(At("2024-01-01T09:00:00Z"), At("2024-01-01T17:00:00Z"))
            .WithBuild(b => b with { MaxDeadline = At("2024-01-02T00:00:00Z"), NotifiedAutostopDeadline = At("2024-01-01T17:00:00Z") })
            .WithWorkspace(w => w with { Ttl = TimeSpan.FromHours(8), AutostartSchedule = "CRON_TZ=UTC 0 9 * * 1-5" });
        var converter = Temporalio.Converters.DataConverter.Default.PayloadConverter;
        var back = (WorkspaceFacts)converter.ToValue(converter.ToPayload(facts), typeof(WorkspaceFacts))!;
        Assert.Equal(facts.LatestBuild, back.LatestBuild);
        Assert.Equal(facts.Workspace, back.Workspace);
        Assert.Equal(WorkspaceLifecycle.NextDueAt(facts, At("2024-01-01T10:00:00Z")), WorkspaceLifecycle.NextDueAt(back, At("2024-01-01T10:00:00Z")));
    }

    [Fact]
    public void Missing_required_facts_are_rejected_on_deserialisation() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<WorkspaceFacts>("{\"OwnerStatus\":\"Active\"}"));
}
