using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Builders for workspace facts used across the lifecycle tests; every default is "nothing configured".</summary>
internal static class Facts
{
    public const string Hourly = "CRON_TZ=UTC 0 * * * *";

    public static readonly Guid VersionOne = Guid.Parse("00000000-0000-4000-8000-000000000001");
    public static readonly Guid VersionTwo = Guid.Parse("00000000-0000-4000-8000-000000000002");

    /// <summary>Mon 2024-01-01 08:00 UTC, the clock of several Coder tests.</summary>
    public static readonly DateTimeOffset Monday0800 = At("2024-01-01T08:00:00Z");

    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    public static TemplateSchedulePolicy Template() => new();

    /// <summary>A running workspace whose start build completed at <paramref name="completed"/>.</summary>
    public static WorkspaceFacts Running(DateTimeOffset completed, DateTimeOffset? deadline = null, TemplateSchedulePolicy? template = null) => new()
    {
        OwnerStatus = OwnerStatus.Active,
        Template = template ?? Template(),
        ActiveTemplateVersionId = VersionOne,
        Workspace = new WorkspaceSettings { LastUsedAt = completed },
        LatestBuild = new LatestBuild
        {
            Transition = BuildTransition.Start,
            Status = BuildStatus.Succeeded,
            CreatedAt = completed - TimeSpan.FromMinutes(1),
            CompletedAt = completed,
            Deadline = deadline,
            TemplateVersionId = VersionOne,
        },
    };

    /// <summary>A stopped workspace whose stop build was created at <paramref name="stoppedAt"/> with the given schedule; next_start_at maintained as the build completion would.</summary>
    public static WorkspaceFacts Stopped(DateTimeOffset stoppedAt, string? schedule = null, TemplateSchedulePolicy? template = null)
    {
        template ??= Template();
        return new WorkspaceFacts
        {
            OwnerStatus = OwnerStatus.Active,
            Template = template,
            ActiveTemplateVersionId = VersionOne,
            Workspace = new WorkspaceSettings
            {
                LastUsedAt = stoppedAt,
                AutostartSchedule = schedule,
                NextStartAt = Autostart.NextStartAt(stoppedAt, schedule, template),
            },
            LatestBuild = new LatestBuild
            {
                Transition = BuildTransition.Stop,
                Status = BuildStatus.Succeeded,
                CreatedAt = stoppedAt,
                CompletedAt = stoppedAt,
                TemplateVersionId = VersionOne,
            },
        };
    }

    public static WorkspaceFacts WithBuild(this WorkspaceFacts f, Func<LatestBuild, LatestBuild> change) => f with { LatestBuild = change(f.LatestBuild) };

    public static WorkspaceFacts WithWorkspace(this WorkspaceFacts f, Func<WorkspaceSettings, WorkspaceSettings> change) => f with { Workspace = change(f.Workspace) };

    public static WorkspaceFacts WithTemplate(this WorkspaceFacts f, Func<TemplateSchedulePolicy, TemplateSchedulePolicy> change) => f with { Template = change(f.Template) };

    public static WorkspaceFacts Failed(this WorkspaceFacts f) => f.WithBuild(b => b with { Status = BuildStatus.Failed, Deadline = null });

    public static WorkspaceFacts Dormant(this WorkspaceFacts f, DateTimeOffset at, DateTimeOffset? deletingAt = null) =>
        f.WithWorkspace(w => w with { DormantAt = at, DeletingAt = deletingAt });
}
