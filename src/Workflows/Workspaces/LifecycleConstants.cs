namespace Lifecycle.Workflows.Workspaces;

/// <summary>Fixed durations of the workspace lifecycle rules (spec/lifecycle.md §6).</summary>
public static class LifecycleConstants
{
    /// <summary>Quiet hours of users who have not set their own.</summary>
    public const string DefaultQuietHoursSchedule = "CRON_TZ=UTC 0 0 * * *";

    /// <summary>Template activity bump unless configured.</summary>
    public static readonly TimeSpan DefaultActivityBump = TimeSpan.FromHours(1);

    /// <summary>
    /// The provisioner gate's stale interval (spec §6, Coder's provisioner staleness): a provider that answered within it
    /// counts as live, and a lifecycle action skipped because its provider was not is tried again this long after.
    /// </summary>
    public static readonly TimeSpan ProviderStaleInterval = TimeSpan.FromSeconds(90);

    /// <summary>A failed delete is retried only this long after it finished.</summary>
    public static readonly TimeSpan FailedDeleteRetryAfter = TimeSpan.FromHours(24);

    /// <summary>Use this recent counts as "active" and may suppress the autostop reminder; keep below the bump.</summary>
    public static readonly TimeSpan ReminderActiveThreshold = TimeSpan.FromMinutes(15);

    /// <summary>Autostop requirement: a stop day closer than this to the build is skipped.</summary>
    public static readonly TimeSpan AutostopRequirementLeeway = TimeSpan.FromHours(2);

    /// <summary>Autostop requirement: quiet hours are looked up from this long before the stop day's midnight.</summary>
    public static readonly TimeSpan AutostopRequirementBuffer = TimeSpan.FromMinutes(-15);

    /// <summary>Autostop requirement: a max deadline is never closer than this to the build.</summary>
    public static readonly TimeSpan AutostopRequirementMinimum = TimeSpan.FromHours(1);

    /// <summary>A template change never sets a max deadline closer than this to now.</summary>
    public static readonly TimeSpan TemplateChangeGrace = TimeSpan.FromHours(2);

    /// <summary>Weeks of an autostop requirement are counted from this Monday, in the quiet-hours zone.</summary>
    public static readonly DateOnly AutostopRequirementEpoch = new(2023, 1, 2);

    /// <summary>
    /// The step after a strict ("more than") threshold at which a rule becomes due. Durable timers and
    /// workflow clocks have millisecond resolution, so "strictly after" is planned one millisecond later.
    /// </summary>
    public static readonly TimeSpan StrictStep = TimeSpan.FromMilliseconds(1);

    /// <summary>Workspace TTL bounds accepted from users.</summary>
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaximumTtl = TimeSpan.FromDays(30);
}
