using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>POST /api/v1/workspaces/{id}/start|stop</c> (optional); the initiator defaults to the owner.</summary>
public sealed record WorkspaceBuildBody
{
    public Guid? InitiatorId { get; init; }
}

/// <summary>Body of <c>POST /api/v1/workspaces/{id}/activity</c> (optional).</summary>
public sealed record WorkspaceActivityBody
{
    /// <summary>Who used the workspace, when known.</summary>
    public Guid? UserId { get; init; }
}

/// <summary>Body of <c>POST /api/v1/workspaces/{id}/delete</c> (optional).</summary>
public sealed record WorkspaceDeleteBody
{
    /// <summary>Why, for the workflow's history and logs.</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// Body of <c>PUT /api/v1/workspaces/{id}/schedule</c>: replaces autostart and TTL (absent or null means none; a TTL
/// of 0 too — the template default then applies); <c>automatic_updates</c> absent leaves it as it is.
/// </summary>
public sealed record WorkspaceScheduleBody
{
    public string? AutostartSchedule { get; init; }

    public long? TtlMs { get; init; }

    /// <summary><c>always</c> or <c>never</c>.</summary>
    public string? AutomaticUpdates { get; init; }

    public Guid? InitiatorId { get; init; }

    /// <summary>
    /// The <c>schedule</c> update's argument, checked here first (as Coder's API does) so bad input is a 400 naming the
    /// field before the workflow is asked: the cron (weekly, <c>CRON_TZ=</c>), the TTL range (1 minute .. 30 days,
    /// truncated to minutes), and what the template lets users set at all.
    /// </summary>
    public WorkspaceScheduleChange ToChange(TemplateSchedulePolicy template, Guid initiatorId)
    {
        ArgumentNullException.ThrowIfNull(template);
        string? schedule = null;
        if (!string.IsNullOrWhiteSpace(AutostartSchedule))
        {
            if (!template.AllowUserAutostart)
                throw new CatalogInputException("autostart_schedule", "autostart is not allowed for workspaces of this template");
            try
            {
                schedule = WorkspaceScheduleRequest.ValidSchedule(AutostartSchedule);
            }
            catch (ScheduleFormatException e)
            {
                throw new CatalogInputException("autostart_schedule", e.Problem);
            }
        }

        TimeSpan? ttl = null;
        if (TtlMs is { } ms)
        {
            var requested = ApiFields.Milliseconds(ms, "ttl_ms", LifecycleConstants.MaximumTtl);
            if (requested > TimeSpan.Zero)
            {
                if (!template.AllowUserAutostop)
                    throw new CatalogInputException("ttl_ms", "a custom autostop TTL is not allowed for workspaces of this template");
                try
                {
                    ttl = WorkspaceScheduleRequest.ValidTtl(requested, template);
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw new CatalogInputException("ttl_ms", $"{e.Message.Split(" (Parameter", 2)[0]}, got {ms} ms");
                }
            }
        }

        Workflows.Workspaces.AutomaticUpdates? updates = null;
        if (AutomaticUpdates is not null)
        {
            updates = StoredText.TryParse<Workflows.Workspaces.AutomaticUpdates>(AutomaticUpdates.Trim(), out var parsed)
                ? parsed
                : throw new CatalogInputException("automatic_updates", $"\"{AutomaticUpdates}\" is not one of {string.Join(", ", StoredText.Values<Workflows.Workspaces.AutomaticUpdates>())}");
        }

        return new WorkspaceScheduleChange(schedule, ttl, updates, initiatorId);
    }
}
