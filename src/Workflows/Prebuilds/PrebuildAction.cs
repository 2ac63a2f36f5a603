using System.Text.Json.Serialization;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>What the act layer does for a preset.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrebuildActionKind>))]
public enum PrebuildActionKind
{
    /// <summary>Set the preset's status to hard_limited and notify each template admin, once.</summary>
    MarkHardLimited,

    /// <summary>Do nothing for the preset until <see cref="PrebuildAction.BackoffUntil"/>; informational.</summary>
    Backoff,

    /// <summary>Cancel the preset's initial start builds on a non-active version that no worker picked up.</summary>
    CancelPending,

    /// <summary>Delete these prebuilds, each only if still unclaimed.</summary>
    Delete,

    /// <summary>Create this many prebuilds on the active version.</summary>
    Create,
}

/// <summary>Why a prebuild is deleted.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrebuildDeleteReason>))]
public enum PrebuildDeleteReason
{
    /// <summary>Older than the preset's TTL, or created before a manual invalidation.</summary>
    Expired,

    /// <summary>More running than desired; the oldest go first.</summary>
    Extraneous,

    /// <summary>The preset's version is no longer active, or its template is deleted or deprecated.</summary>
    InactivePreset,
}

/// <summary>One step of a preset's reconciliation; a plain record so it travels as a Temporal payload.</summary>
public sealed record PrebuildAction
{
    required public PrebuildActionKind Kind { get; init; }

    /// <summary>For <see cref="PrebuildActionKind.Create"/>: how many.</summary>
    public int Create { get; init; }

    /// <summary>For <see cref="PrebuildActionKind.Delete"/>: which prebuilds, oldest first.</summary>
    public IReadOnlyList<Guid> DeleteIds { get; init; } = [];

    public PrebuildDeleteReason? DeleteReason { get; init; }

    /// <summary>For <see cref="PrebuildActionKind.Backoff"/>: the first instant at which creates may resume is just after this.</summary>
    public DateTimeOffset? BackoffUntil { get; init; }

    /// <summary>For <see cref="PrebuildActionKind.MarkHardLimited"/>: the key that makes the notifications exactly-once per limit episode.</summary>
    public string? NotificationKey { get; init; }

    public static PrebuildAction CreateMany(int count) => new() { Kind = PrebuildActionKind.Create, Create = count };

    public static PrebuildAction DeleteMany(IReadOnlyList<Guid> ids, PrebuildDeleteReason reason) =>
        new() { Kind = PrebuildActionKind.Delete, DeleteIds = ids, DeleteReason = reason };

    public static PrebuildAction BackOff(DateTimeOffset until) => new() { Kind = PrebuildActionKind.Backoff, BackoffUntil = until };

    public static PrebuildAction CancelPending() => new() { Kind = PrebuildActionKind.CancelPending };

    public static PrebuildAction MarkHardLimited(string notificationKey) =>
        new() { Kind = PrebuildActionKind.MarkHardLimited, NotificationKey = notificationKey };
}

/// <summary>The counts a decision is made from (spec §3.4); also what the gauges report.</summary>
public sealed record PresetState
{
    /// <summary>Running prebuilds, expired or not.</summary>
    public int Actual { get; init; }

    public int Expired { get; init; }

    public int Desired { get; init; }

    /// <summary>Running, not expired and ready (active presets only).</summary>
    public int Eligible { get; init; }

    /// <summary>Non-expired running beyond desired (active presets only).</summary>
    public int Extraneous { get; init; }

    public int Starting { get; init; }

    public int Stopping { get; init; }

    public int Deleting { get; init; }

    public bool Active { get; init; }

    /// <summary>Creates are stopped by the failure limit.</summary>
    public bool HardLimited { get; init; }

    /// <summary>Why schedules were ignored, when they were (the base count applied instead).</summary>
    public string? DesiredProblem { get; init; }

    /// <summary>What set <see cref="Desired"/>: default, schedule, expression, expression_fallback or inactive.</summary>
    public DesiredSource DesiredSource { get; init; }

    /// <summary>Why the target expression was not used, when it was not (source expression_fallback).</summary>
    public string? ExpressionError { get; init; }
}

/// <summary>A preset's decision: its state and the actions, in the order they must run.</summary>
public sealed record PresetDecision
{
    required public Guid PresetId { get; init; }

    required public PresetState State { get; init; }

    public IReadOnlyList<PrebuildAction> Actions { get; init; } = [];

    /// <summary>Something must be carried out; a preset with only a backoff (or nothing) costs no child workflow.</summary>
    [JsonIgnore]
    public bool HasWork => Actions.Any(a => a.Kind != PrebuildActionKind.Backoff);
}
