namespace Lifecycle.Workflows.Workspaces;

/// <summary>Dormancy marking (spec A19): the database state a dormancy decision writes.</summary>
public static class Dormancy
{
    /// <summary>dormant_at = now; deleting_at = now + time-til-dormant-autodelete, or none when auto-delete is off.</summary>
    public static (DateTimeOffset DormantAt, DateTimeOffset? DeletingAt) Mark(DateTimeOffset now, TemplateSchedulePolicy template) =>
        (now, template.TimeTilDormantAutodelete > TimeSpan.Zero ? now + template.TimeTilDormantAutodelete : null);
}
