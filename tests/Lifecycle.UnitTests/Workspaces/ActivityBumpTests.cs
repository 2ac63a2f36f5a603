using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Activity bump (spec A30a, Coder's TestActivityBumpWorkspace).</summary>
public class ActivityBumpTests
{
    private static readonly DateTimeOffset Now = At("2024-01-01T08:30:00Z");

    private sealed record Case(
        DateTimeOffset? Deadline,
        DateTimeOffset? Expected,
        DateTimeOffset? MaxDeadline = null,
        BuildTransition Transition = BuildTransition.Start,
        bool Completed = true,
        TimeSpan? Bump = null,
        string? Autostart = null,
        TimeSpan? WorkspaceTtl = null,
        bool AllowUserAutostop = true,
        TimeSpan DefaultTtl = default,
        Weekdays AllowedDays = Weekdays.All);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["bumps to now + bump"] = new(Now.AddMinutes(10), Now.AddHours(1)),
        ["deadline already passed still bumps"] = new(Now.AddMinutes(-10), Now.AddHours(1)),
        ["not bumped without a deadline (manual stop only)"] = new(null, null),
        ["not bumped for a stop build"] = new(Now.AddMinutes(10), null, Transition: BuildTransition.Stop),
        ["not bumped before the build completed"] = new(Now.AddMinutes(10), null, Completed: false),
        ["not bumped when the template bump is zero"] = new(Now.AddMinutes(10), null, Bump: TimeSpan.Zero),
        ["custom bump duration"] = new(Now.AddMinutes(10), Now.AddHours(2), Bump: TimeSpan.FromHours(2)),

        // Throttle: bump only once more than 5% of the bump has elapsed (deadline − 0.95·bump < now).
        ["throttle: 1 s inside the 5% window bumps"] = new(Now.AddMinutes(57).AddSeconds(-1), Now.AddHours(1)),
        ["throttle: exactly at 95% does not bump"] = new(Now.AddMinutes(57), null),
        ["throttle: 1 s before 5% elapsed does not bump"] = new(Now.AddMinutes(57).AddSeconds(1), null),

        // Caps: never past max deadline, never down.
        ["capped at the max deadline"] = new(Now.AddMinutes(10), Now.AddMinutes(30), MaxDeadline: Now.AddMinutes(30)),
        ["at the max deadline already: unchanged"] = new(Now.AddMinutes(10), null, MaxDeadline: Now.AddMinutes(10)),

        // Crossing the next autostart counts as that autostart: autostart + TTL.
        ["crossing the next autostart uses autostart + workspace TTL"] = new(Now.AddMinutes(10), At("2024-01-01T17:00:00Z"),
            Autostart: "CRON_TZ=UTC 0 9 * * *", WorkspaceTtl: TimeSpan.FromHours(8)),
        ["crossing uses the template default TTL when users may not set autostop"] = new(Now.AddMinutes(10), At("2024-01-01T11:00:00Z"),
            Autostart: "CRON_TZ=UTC 0 9 * * *", WorkspaceTtl: TimeSpan.FromHours(8), AllowUserAutostop: false, DefaultTtl: TimeSpan.FromHours(2)),
        ["crossing is capped at the max deadline"] = new(Now.AddMinutes(10), At("2024-01-01T12:00:00Z"), MaxDeadline: At("2024-01-01T12:00:00Z"),
            Autostart: "CRON_TZ=UTC 0 9 * * *", WorkspaceTtl: TimeSpan.FromHours(8)),
        ["autostart beyond the bump: plain bump"] = new(Now.AddMinutes(10), Now.AddHours(1), Autostart: "CRON_TZ=UTC 0 12 * * *", WorkspaceTtl: TimeSpan.FromHours(8)),
        ["autostart on a forbidden day: plain bump"] = new(Now.AddMinutes(10), Now.AddHours(1),
            Autostart: "CRON_TZ=UTC 0 9 * * *", WorkspaceTtl: TimeSpan.FromHours(8), AllowedDays: Weekdays.Tuesday),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void New_deadline_after_activity(string name)
    {
        var c = Cases[name];
        var build = new LatestBuild
        {
            Transition = c.Transition,
            Status = c.Completed ? BuildStatus.Succeeded : BuildStatus.Running,
            CreatedAt = Now.AddHours(-1),
            CompletedAt = c.Completed ? Now.AddHours(-1) : null,
            Deadline = c.Deadline,
            MaxDeadline = c.MaxDeadline,
        };
        var template = Template() with
        {
            ActivityBump = c.Bump ?? LifecycleConstants.DefaultActivityBump,
            AllowUserAutostop = c.AllowUserAutostop,
            DefaultTtl = c.DefaultTtl,
            AutostartAllowedDays = c.AllowedDays,
        };
        var workspace = new WorkspaceSettings { LastUsedAt = Now, AutostartSchedule = c.Autostart, Ttl = c.WorkspaceTtl };

        Assert.Equal(c.Expected, ActivityBump.NewDeadline(Now, build, workspace, template));
    }
}
