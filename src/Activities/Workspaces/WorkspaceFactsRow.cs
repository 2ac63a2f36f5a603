using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.Activities.Workspaces;

/// <summary>The one row the workspace phase reads: workspace, owner, template policy, latest build and its job.</summary>
internal sealed record FactsRow
{
    public string Name { get; init; } = string.Empty;

    public Guid OwnerId { get; init; }

    public Guid OrganizationId { get; init; }

    public Guid TemplateId { get; init; }

    public bool Deleted { get; init; }

    public string InstanceStatus { get; init; } = "unknown";

    public string? AutostartSchedule { get; init; }

    public TimeSpan? Ttl { get; init; }

    public DateTimeOffset LastUsedAt { get; init; }

    public DateTimeOffset? DormantAt { get; init; }

    public DateTimeOffset? DeletingAt { get; init; }

    public DateTimeOffset? NextStartAt { get; init; }

    public string AutomaticUpdates { get; init; } = "never";

    public string OwnerStatus { get; init; } = "active";

    public string? QuietHoursSchedule { get; init; }

    public bool IsPrebuild { get; init; }

    public TimeSpan DefaultTtl { get; init; }

    public TimeSpan ActivityBump { get; init; }

    public bool AllowUserAutostart { get; init; }

    public bool AllowUserAutostop { get; init; }

    public short AutostartAllowedDays { get; init; }

    public short AutostopRequirementDaysOfWeek { get; init; }

    public short AutostopRequirementWeeks { get; init; }

    public TimeSpan FailureTtl { get; init; }

    public TimeSpan TimeTilDormant { get; init; }

    public TimeSpan TimeTilDormantAutodelete { get; init; }

    public TimeSpan TimeTilAutostopNotify { get; init; }

    public bool RequireActiveVersion { get; init; }

    public Guid? ActiveVersionId { get; init; }

    public string? ActiveVersionName { get; init; }

    public string? ActiveVersionMessage { get; init; }

    public int? BuildNumber { get; init; }

    public string? Transition { get; init; }

    public string? Reason { get; init; }

    public DateTimeOffset? BuildCreatedAt { get; init; }

    public DateTimeOffset? Deadline { get; init; }

    public DateTimeOffset? MaxDeadline { get; init; }

    public DateTimeOffset? NotifiedAutostopDeadline { get; init; }

    public Guid? TemplateVersionId { get; init; }

    public string? JobStatus { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset? CanceledAt { get; init; }

    public Guid? TaskId { get; init; }

    public string? TaskName { get; init; }

    public WorkspaceSnapshot ToSnapshot()
    {
        var template = new TemplateSchedulePolicy
        {
            DefaultTtl = DefaultTtl,
            ActivityBump = ActivityBump,
            AllowUserAutostart = AllowUserAutostart,
            AllowUserAutostop = AllowUserAutostop,
            AutostartAllowedDays = (Weekdays)AutostartAllowedDays,
            AutostopRequirement = new AutostopRequirement((Weekdays)AutostopRequirementDaysOfWeek, AutostopRequirementWeeks),
            FailureTtl = FailureTtl,
            TimeTilDormant = TimeTilDormant,
            TimeTilDormantAutodelete = TimeTilDormantAutodelete,
            TimeTilAutostopNotify = TimeTilAutostopNotify,
            RequireActiveVersion = RequireActiveVersion,
        };

        // A workspace without a build (never expected) is treated as one whose first build is still queued: no rule acts.
        var build = BuildNumber is null
            ? new LatestBuild { Transition = BuildTransition.Start, Status = BuildStatus.Pending, CreatedAt = LastUsedAt }
            : new LatestBuild
            {
                Transition = StoredText.Parse<BuildTransition>(Transition ?? "start"),
                Status = StoredText.Parse<BuildStatus>(JobStatus ?? "pending"),
                Reason = ParseReason(Reason),
                CreatedAt = BuildCreatedAt ?? LastUsedAt,
                CompletedAt = CompletedAt,
                CanceledAt = CanceledAt,
                Deadline = Deadline,
                MaxDeadline = MaxDeadline,
                NotifiedAutostopDeadline = NotifiedAutostopDeadline,
                TemplateVersionId = TemplateVersionId ?? Guid.Empty,
            };
        var facts = new WorkspaceFacts
        {
            OwnerStatus = StoredText.Parse<OwnerStatus>(OwnerStatus),
            IsPrebuild = IsPrebuild,
            IsDeleted = Deleted,
            Template = template,
            ActiveTemplateVersionId = ActiveVersionId ?? Guid.Empty,
            Workspace = new WorkspaceSettings
            {
                AutostartSchedule = AutostartSchedule,
                Ttl = Ttl,
                LastUsedAt = LastUsedAt,
                DormantAt = DormantAt,
                DeletingAt = DeletingAt,
                AutomaticUpdates = StoredText.Parse<AutomaticUpdates>(AutomaticUpdates),
                NextStartAt = NextStartAt,
            },
            LatestBuild = build,
            Task = TaskId is { } taskId ? new WorkspaceTask(taskId, TaskName ?? string.Empty) : null,
        };
        return new WorkspaceSnapshot
        {
            Facts = facts,
            Name = Name,
            OwnerId = OwnerId,
            OrganizationId = OrganizationId,
            TemplateId = TemplateId,
            BuildNumber = BuildNumber ?? 0,
            Status = InstanceStatuses.TryParse(InstanceStatus, out var status) ? status : Workflows.Instances.InstanceStatus.Unknown,
            QuietHoursSchedule = QuietHoursSchedule,
            ActiveVersionName = ActiveVersionName,
            ActiveVersionMessage = ActiveVersionMessage,
        };
    }

    // The store knows a reason the rules never choose (failedstop): a stop the rules made.
    private static BuildReason ParseReason(string? text) =>
        StoredText.TryParse<BuildReason>(text, out var reason) ? reason : BuildReason.Autostop;
}
