using System.Text.Json.Serialization;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The machine's state in its provider and in our lifecycle, with GARM's status values; the JSON text of each
/// member is the snake_case string GARM and its providers use (<c>pending_create</c>, <c>running</c>, …).
/// </summary>
[JsonConverter(typeof(InstanceStatusJsonConverter))]
public enum InstanceStatus
{
    /// <summary>The record exists; the provider has not been asked yet.</summary>
    [JsonStringEnumMemberName("pending_create")]
    PendingCreate,

    /// <summary>The provider's create is in flight.</summary>
    [JsonStringEnumMemberName("creating")]
    Creating,

    /// <summary>The provider reports the machine exists and runs.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>The provider reports the machine stopped.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,

    /// <summary>The create failed or the provider reports the machine broken.</summary>
    [JsonStringEnumMemberName("error")]
    Error,

    /// <summary>Removal requested; the provider delete is retried with backoff.</summary>
    [JsonStringEnumMemberName("pending_delete")]
    PendingDelete,

    /// <summary>Removal requested; one provider attempt whose error is ignored.</summary>
    [JsonStringEnumMemberName("pending_force_delete")]
    PendingForceDelete,

    /// <summary>The provider's delete is in flight.</summary>
    [JsonStringEnumMemberName("deleting")]
    Deleting,

    /// <summary>Gone from the provider. Final.</summary>
    [JsonStringEnumMemberName("deleted")]
    Deleted,

    /// <summary>The provider cannot tell; any move out of it is allowed.</summary>
    [JsonStringEnumMemberName("unknown")]
    Unknown,
}

/// <summary>Reads and writes <see cref="InstanceStatus"/> as GARM's text only (no numbers), so bad input is refused.</summary>
public sealed class InstanceStatusJsonConverter : JsonStringEnumConverter<InstanceStatus>
{
    /// <summary>Uses the member names declared on <see cref="InstanceStatus"/> and refuses integer values.</summary>
    public InstanceStatusJsonConverter()
        : base(namingPolicy: null, allowIntegerValues: false)
    {
    }
}

/// <summary>GARM's text for each status and the groups the rules talk about.</summary>
public static class InstanceStatuses
{
    private static readonly Dictionary<string, InstanceStatus> ByText = Enum.GetValues<InstanceStatus>()
        .ToDictionary(ToText, s => s, StringComparer.Ordinal);

    /// <summary>The wire text of a status (<c>pending_force_delete</c>).</summary>
    public static string ToText(this InstanceStatus status) => status switch
    {
        InstanceStatus.PendingCreate => "pending_create",
        InstanceStatus.Creating => "creating",
        InstanceStatus.Running => "running",
        InstanceStatus.Stopped => "stopped",
        InstanceStatus.Error => "error",
        InstanceStatus.PendingDelete => "pending_delete",
        InstanceStatus.PendingForceDelete => "pending_force_delete",
        InstanceStatus.Deleting => "deleting",
        InstanceStatus.Deleted => "deleted",
        InstanceStatus.Unknown => "unknown",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not an instance status"),
    };

    /// <summary>Parses GARM's text; false for anything else (case matters, as in GARM).</summary>
    public static bool TryParse(string? text, out InstanceStatus status) =>
        ByText.TryGetValue(text ?? string.Empty, out status);

    /// <summary>
    /// Statuses a provider may report for a machine (create, get, list): running, error, stopped, unknown. The others
    /// are ours to set, so a provider that returns one gave an invalid answer.
    /// </summary>
    public static bool IsProviderReportable(this InstanceStatus status) =>
        status is InstanceStatus.Running or InstanceStatus.Error or InstanceStatus.Stopped or InstanceStatus.Unknown;

    /// <summary>The deletion lane: removal was requested or done (pending_delete, pending_force_delete, deleting, deleted).</summary>
    public static bool IsDeletionLane(this InstanceStatus status) =>
        status is InstanceStatus.PendingDelete or InstanceStatus.PendingForceDelete or InstanceStatus.Deleting or InstanceStatus.Deleted;

    /// <summary>Provisioning: the machine is being made (pending_create, creating).</summary>
    public static bool IsProvisioning(this InstanceStatus status) =>
        status is InstanceStatus.PendingCreate or InstanceStatus.Creating;
}
