namespace Lifecycle.Workflows.Workspaces;

/// <summary>Optional resets an operator can ask for with a template policy change, to avoid instant dormancy or deletion.</summary>
public sealed record TemplatePolicyChangeOptions(bool ResetDormantAt = false, bool ResetLastUsedAt = false);

/// <summary>A workspace's settings after its template's policy changed, and whether it newly faces deletion.</summary>
public sealed record TemplatePolicyChangeResult(WorkspaceSettings Workspace, bool NewlyScheduledForDeletion);

/// <summary>
/// What a template policy change does to one of its workspaces (spec A9, A29): deletion re-planned from dormant_at,
/// the optional resets, TTL overwritten when users may not set their own, next_start_at recomputed when the
/// allowed days change. The running build's times are recomputed separately by
/// <see cref="AutostopCalculation.AfterTemplateChange"/>. Callers skip unclaimed prebuilds (A10): their lifecycle
/// fields are set only when they are claimed.
/// </summary>
public static class TemplatePolicyChange
{
    public static TemplatePolicyChangeResult Apply(
        WorkspaceSettings workspace,
        TemplateSchedulePolicy before,
        TemplateSchedulePolicy after,
        DateTimeOffset now,
        TemplatePolicyChangeOptions? options = null)
    {
        options ??= new TemplatePolicyChangeOptions();
        var ws = workspace;

        if (ws.DormantAt is { } dormantAt)
        {
            var newDormantAt = options.ResetDormantAt ? now : dormantAt;
            var deletingAt = after.TimeTilDormantAutodelete > TimeSpan.Zero ? newDormantAt + after.TimeTilDormantAutodelete : (DateTimeOffset?)null;
            ws = ws with { DormantAt = newDormantAt, DeletingAt = deletingAt };
        }

        if (options.ResetLastUsedAt)
            ws = ws with { LastUsedAt = now };

        if (!after.AllowUserAutostop && (before.AllowUserAutostop || before.DefaultTtl != after.DefaultTtl))
            ws = ws with { Ttl = after.DefaultTtl > TimeSpan.Zero ? after.DefaultTtl : null };

        if (before.AutostartAllowedDays != after.AutostartAllowedDays)
            ws = ws with { NextStartAt = Autostart.NextStartAt(now, ws.AutostartSchedule, after) };

        return new TemplatePolicyChangeResult(ws, workspace.DeletingAt is null && ws.DeletingAt is not null);
    }
}
