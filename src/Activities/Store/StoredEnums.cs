namespace Lifecycle.Activities.Store;

// Enumerations that exist only in the store. The lifecycle's own enums (OwnerStatus, PrebuildStatus, InstanceStatus,
// BuildTransition, BuildStatus, BuildReason, AutomaticUpdates) live in Lifecycle.Workflows and are stored with the
// same snake_case rule (StoredText).

/// <summary>A user's role beyond plain membership (<c>users.roles</c>; Coder's names, stored as written here).</summary>
public static class UserRoles
{
    public const string Owner = "owner";
    public const string TemplateAdmin = "template-admin";
    public const string UserAdmin = "user-admin";
    public const string Auditor = "auditor";

    /// <summary>Every role the schema accepts.</summary>
    public static IReadOnlyList<string> All { get; } = [Owner, TemplateAdmin, UserAdmin, Auditor];
}

/// <summary>What a provisioner job does (<c>provisioner_jobs.type</c>).</summary>
public enum ProvisionerJobType
{
    WorkspaceBuild,
    TemplateVersionImport,
}

/// <summary>Every build reason the schema accepts (<c>workspace_builds.reason</c>), a superset of the lifecycle rules' own.</summary>
public enum StoredBuildReason
{
    Initiator,
    Autostart,
    Autostop,
    Dormancy,
    Failedstop,
    Autodelete,
    TaskAutoPause,
}

/// <summary>Delivery state of an outbox notification (<c>notifications.status</c>).</summary>
public enum NotificationStatus
{
    Pending,
    Sent,
    Failed,
}

/// <summary>What an audit entry records (<c>audit_log.action</c>).</summary>
public enum AuditAction
{
    Create,
    Write,
    Delete,
    Start,
    Stop,
    Claim,
    Reset,
}

/// <summary>The kind of thing an audit entry is about (<c>audit_log.resource_type</c>).</summary>
public enum AuditResourceType
{
    Organization,
    User,
    Template,
    TemplateVersion,
    Preset,
    Workspace,
    Settings,
}

/// <summary>A claim outcome recorded per preset (<c>prebuild_events.kind</c>).</summary>
public enum PrebuildEventKind
{
    ClaimSucceeded,
    ClaimMissed,
}
