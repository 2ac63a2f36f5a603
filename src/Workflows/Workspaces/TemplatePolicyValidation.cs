namespace Lifecycle.Workflows.Workspaces;

/// <summary>Checks a template's scheduling policy before it is stored; each problem names its field.</summary>
public static class TemplatePolicyValidation
{
    /// <summary>Every problem with the policy, e.g. <c>autostop_requirement.weeks: must be between 1 and 16, got 20</c>; empty when valid.</summary>
    public static IReadOnlyList<string> Problems(TemplateSchedulePolicy policy)
    {
        var problems = new List<string>();
        void NotNegative(string field, TimeSpan value)
        {
            if (value < TimeSpan.Zero)
                problems.Add($"{field}: must not be negative, got {value}");
        }

        NotNegative("default_ttl", policy.DefaultTtl);
        NotNegative("activity_bump", policy.ActivityBump);
        NotNegative("failure_ttl", policy.FailureTtl);
        NotNegative("time_til_dormant", policy.TimeTilDormant);
        NotNegative("time_til_dormant_autodelete", policy.TimeTilDormantAutodelete);
        NotNegative("time_til_autostop_notify", policy.TimeTilAutostopNotify);
        if (policy.DefaultTtl > LifecycleConstants.MaximumTtl)
            problems.Add($"default_ttl: must be at most 30 days, got {policy.DefaultTtl}");
        if ((policy.AutostartAllowedDays & ~Weekdays.All) != 0)
            problems.Add($"autostart_allowed_days: bitmap {(int)policy.AutostartAllowedDays} has bits beyond the 7 weekdays");
        if ((policy.AutostopRequirement.DaysOfWeek & ~Weekdays.All) != 0)
            problems.Add($"autostop_requirement.days_of_week: bitmap {(int)policy.AutostopRequirement.DaysOfWeek} has bits beyond the 7 weekdays");
        if (policy.AutostopRequirement.Weeks is < 1 or > 16)
            problems.Add($"autostop_requirement.weeks: must be between 1 and 16, got {policy.AutostopRequirement.Weeks}");
        return problems;
    }
}
