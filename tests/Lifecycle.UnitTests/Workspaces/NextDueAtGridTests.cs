using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>
/// The plan/decide contract over a deterministic grid of workspaces and clocks: nothing acts before the planned
/// instant, something acts at it, and "never" really means never (absent a change of facts).
/// </summary>
public class NextDueAtGridTests
{
    private static readonly DateTimeOffset T0 = At("2024-03-29T22:15:30Z"); // Friday, two days before Berlin's DST change
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void Plan_and_decide_agree_across_the_grid()
    {
        var checkedCases = 0;
        foreach (var facts in Grid())
        {
            foreach (var offset in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(59), TimeSpan.FromHours(9), TimeSpan.FromDays(2.5), TimeSpan.FromDays(9) })
            {
                var now = T0 + offset;
                var due = WorkspaceLifecycle.NextDueAt(facts, now);
                var label = $"{Describe(facts)} at +{offset}";
                if (due is null)
                {
                    foreach (var later in new[] { now, now.AddHours(3), now.AddDays(3), now.AddDays(60) })
                        Assert.False(WorkspaceLifecycle.Decide(facts, later).Acts, $"{label}: never due, but acts at {later:O}");
                }
                else
                {
                    Assert.True(due >= now, $"{label}: planned {due:O} before now");
                    Assert.True(WorkspaceLifecycle.Decide(facts, due.Value).Acts, $"{label}: nothing acts at the planned {due:O}");
                    if (due > now)
                    {
                        Assert.False(WorkspaceLifecycle.Decide(facts, now).Acts, $"{label}: acts now but planned {due:O}");
                        Assert.False(WorkspaceLifecycle.Decide(facts, due.Value - Ms).Acts, $"{label}: acts 1 ms before the planned {due:O}");
                    }
                }

                checkedCases++;
            }
        }

        Assert.True(checkedCases > 5000, $"grid too small: {checkedCases}");
    }

    private static IEnumerable<WorkspaceFacts> Grid()
    {
        string?[] schedules = [null, "CRON_TZ=Europe/Berlin 30 2 * * *", "CRON_TZ=UTC 0 9 * * 1-5"];
        TemplateSchedulePolicy[] templates =
        [
            Template(),
            Template() with
            {
                FailureTtl = TimeSpan.FromHours(1),
                TimeTilDormant = TimeSpan.FromDays(2),
                TimeTilDormantAutodelete = TimeSpan.FromDays(1),
                TimeTilAutostopNotify = TimeSpan.FromHours(2),
                AutostartAllowedDays = Weekdays.MondayToFriday,
            },
            Template() with { TimeTilAutostopNotify = TimeSpan.FromDays(30), ActivityBump = TimeSpan.Zero, AllowUserAutostart = false },
        ];
        return from template in templates
               from schedule in schedules
               from owner in new[] { OwnerStatus.Active, OwnerStatus.Suspended }
               from transition in new[] { BuildTransition.Start, BuildTransition.Stop, BuildTransition.Delete }
               from status in new[] { BuildStatus.Succeeded, BuildStatus.Failed }
               from deadlineHours in new double?[] { null, 0.5, 8 }
               from maxDeadlineHours in new double?[] { null, 3 }
               from dormantDays in new double?[] { null, 1 }
               from lastUsedMinutes in new[] { 5, 600 }
               select Workspace(template, schedule, owner, transition, status, deadlineHours, maxDeadlineHours, dormantDays, lastUsedMinutes);
    }

    private static WorkspaceFacts Workspace(
        TemplateSchedulePolicy template, string? schedule, OwnerStatus owner, BuildTransition transition, BuildStatus status,
        double? deadlineHours, double? maxDeadlineHours, double? dormantDays, int lastUsedMinutes)
    {
        var created = T0.AddMinutes(-30);
        DateTimeOffset? dormantAt = dormantDays is { } d ? T0.AddDays(-d) : null;
        return new WorkspaceFacts
        {
            OwnerStatus = owner,
            Template = template,
            Workspace = new WorkspaceSettings
            {
                AutostartSchedule = schedule,
                LastUsedAt = T0.AddMinutes(-lastUsedMinutes),
                DormantAt = dormantAt,
                DeletingAt = dormantAt + (template.TimeTilDormantAutodelete > TimeSpan.Zero ? template.TimeTilDormantAutodelete : null),
                NextStartAt = Autostart.NextStartAt(created, schedule, template),
            },
            LatestBuild = new LatestBuild
            {
                Transition = transition,
                Status = status,
                CreatedAt = created,
                CompletedAt = created.AddMinutes(1),
                Deadline = transition == BuildTransition.Start && deadlineHours is { } h ? T0.AddHours(h) : null,
                MaxDeadline = maxDeadlineHours is { } m ? T0.AddHours(m) : null,
            },
        };
    }

    private static string Describe(WorkspaceFacts f) =>
        $"{f.OwnerStatus} {f.LatestBuild.Transition}/{f.LatestBuild.Status} deadline={f.LatestBuild.Deadline:O} max={f.LatestBuild.MaxDeadline:O} "
        + $"schedule={f.Workspace.AutostartSchedule} dormant={f.Workspace.DormantAt:O} lastUsed={f.Workspace.LastUsedAt:O} policy={f.Template}";
}
