using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Spec A9 and A29: a template policy change applied to one workspace.</summary>
public class TemplatePolicyChangeTests
{
    private static readonly DateTimeOffset Now = At("2024-01-10T12:00:00Z");
    private static readonly DateTimeOffset DormantSince = At("2024-01-01T00:00:00Z");

    [Fact]
    public void Turning_auto_delete_on_schedules_deletion_from_dormant_at_and_flags_the_notice()
    {
        var dormant = new WorkspaceSettings { LastUsedAt = DormantSince, DormantAt = DormantSince };
        var result = TemplatePolicyChange.Apply(dormant, Template(), Template() with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) }, Now);
        Assert.Equal(DormantSince.AddDays(30), result.Workspace.DeletingAt);
        Assert.True(result.NewlyScheduledForDeletion);
    }

    [Fact]
    public void Changing_auto_delete_moves_deletion_and_turning_it_off_clears_it()
    {
        var dormant = new WorkspaceSettings { LastUsedAt = DormantSince, DormantAt = DormantSince, DeletingAt = DormantSince.AddDays(30) };
        var before = Template() with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) };
        var shorter = TemplatePolicyChange.Apply(dormant, before, before with { TimeTilDormantAutodelete = TimeSpan.FromDays(7) }, Now);
        Assert.Equal(DormantSince.AddDays(7), shorter.Workspace.DeletingAt);
        Assert.False(shorter.NewlyScheduledForDeletion);
        Assert.Null(TemplatePolicyChange.Apply(dormant, before, Template(), Now).Workspace.DeletingAt);
    }

    [Fact]
    public void Resets_move_dormant_at_and_last_used_at_to_now()
    {
        var dormant = new WorkspaceSettings { LastUsedAt = DormantSince, DormantAt = DormantSince };
        var after = Template() with { TimeTilDormantAutodelete = TimeSpan.FromDays(1) };
        var result = TemplatePolicyChange.Apply(dormant, Template(), after, Now, new TemplatePolicyChangeOptions(ResetDormantAt: true, ResetLastUsedAt: true));
        Assert.Equal(Now, result.Workspace.DormantAt);
        Assert.Equal(Now.AddDays(1), result.Workspace.DeletingAt);
        Assert.Equal(Now, result.Workspace.LastUsedAt);

        var active = new WorkspaceSettings { LastUsedAt = DormantSince };
        Assert.Null(TemplatePolicyChange.Apply(active, Template(), after, Now, new TemplatePolicyChangeOptions(ResetDormantAt: true)).Workspace.DormantAt);
    }

    [Fact]
    public void Disabling_user_autostop_overwrites_the_workspace_ttl()
    {
        var ws = new WorkspaceSettings { LastUsedAt = Now, Ttl = TimeSpan.FromHours(12) };
        var locked = Template() with { AllowUserAutostop = false, DefaultTtl = TimeSpan.FromHours(4) };
        Assert.Equal(TimeSpan.FromHours(4), TemplatePolicyChange.Apply(ws, Template(), locked, Now).Workspace.Ttl);
        Assert.Equal(TimeSpan.FromHours(2), TemplatePolicyChange.Apply(ws, locked, locked with { DefaultTtl = TimeSpan.FromHours(2) }, Now).Workspace.Ttl);
        Assert.Equal(TimeSpan.FromHours(12), TemplatePolicyChange.Apply(ws, Template(), Template() with { DefaultTtl = TimeSpan.FromHours(2) }, Now).Workspace.Ttl);
    }

    [Fact]
    public void Changing_allowed_days_recomputes_next_start_at()
    {
        // Mon 2024-01-01 08:00, schedule 09:00 Mon–Fri: Monday, then Tuesday once Monday is no longer allowed.
        var ws = new WorkspaceSettings { LastUsedAt = Monday0800, AutostartSchedule = "CRON_TZ=UTC 0 9 * * 1-5", NextStartAt = At("2024-01-01T09:00:00Z") };
        var tuesdayToFriday = Template() with { AutostartAllowedDays = Weekdays.MondayToFriday & ~Weekdays.Monday };
        Assert.Equal(At("2024-01-02T09:00:00Z"), TemplatePolicyChange.Apply(ws, Template(), tuesdayToFriday, Monday0800).Workspace.NextStartAt);
        Assert.Null(TemplatePolicyChange.Apply(ws, Template(), Template() with { AutostartAllowedDays = Weekdays.Saturday }, Monday0800).Workspace.NextStartAt);
    }
}

public class TemplatePolicyValidationTests
{
    [Fact]
    public void Defaults_and_a_full_enterprise_policy_are_valid()
    {
        Assert.Empty(TemplatePolicyValidation.Problems(new TemplateSchedulePolicy()));
        Assert.Empty(TemplatePolicyValidation.Problems(new TemplateSchedulePolicy
        {
            DefaultTtl = TimeSpan.FromHours(8),
            AutostopRequirement = new AutostopRequirement(Weekdays.Saturday, 16),
            FailureTtl = TimeSpan.FromDays(1),
            TimeTilDormant = TimeSpan.FromDays(30),
            TimeTilDormantAutodelete = TimeSpan.FromDays(30),
            TimeTilAutostopNotify = TimeSpan.FromMinutes(30),
        }));
    }

    [Theory]
    [InlineData("weeks 0", "autostop_requirement.weeks: must be between 1 and 16, got 0")]
    [InlineData("weeks 17", "autostop_requirement.weeks: must be between 1 and 16, got 17")]
    [InlineData("8th requirement bit", "autostop_requirement.days_of_week: bitmap 128 has bits beyond the 7 weekdays")]
    [InlineData("8th autostart bit", "autostart_allowed_days: bitmap 255 has bits beyond the 7 weekdays")]
    [InlineData("negative failure ttl", "failure_ttl: must not be negative")]
    [InlineData("negative dormancy", "time_til_dormant: must not be negative")]
    [InlineData("default ttl over 30 days", "default_ttl: must be at most 30 days")]
    public void Each_problem_names_its_field(string change, string problem)
    {
        var policy = change switch
        {
            "weeks 0" => new TemplateSchedulePolicy { AutostopRequirement = new AutostopRequirement(Weekdays.Monday, 0) },
            "weeks 17" => new TemplateSchedulePolicy { AutostopRequirement = new AutostopRequirement(Weekdays.Monday, 17) },
            "8th requirement bit" => new TemplateSchedulePolicy { AutostopRequirement = new AutostopRequirement((Weekdays)128, 1) },
            "8th autostart bit" => new TemplateSchedulePolicy { AutostartAllowedDays = (Weekdays)255 },
            "negative failure ttl" => new TemplateSchedulePolicy { FailureTtl = TimeSpan.FromMinutes(-1) },
            "negative dormancy" => new TemplateSchedulePolicy { TimeTilDormant = TimeSpan.FromMinutes(-1) },
            "default ttl over 30 days" => new TemplateSchedulePolicy { DefaultTtl = TimeSpan.FromDays(31) },
            _ => throw new ArgumentOutOfRangeException(nameof(change), change, "unknown case"),
        };
        var problems = TemplatePolicyValidation.Problems(policy);
        Assert.Single(problems);
        Assert.StartsWith(problem, problems[0], StringComparison.Ordinal);
    }
}
