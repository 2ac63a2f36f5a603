using System.Text;
using System.Text.Json.Serialization;
using Lifecycle.Workflows.Instances;

namespace Lifecycle.Activities.Providers;

/// <summary>
/// A machine as the provider describes it (GARM's <c>ProviderInstance</c>): what CreateInstance and GetInstance print,
/// and each element of ListInstances. <see cref="ProviderFault"/> is base64 on the wire (Go bytes).
/// </summary>
public sealed record ProviderInstance
{
    /// <summary>The provider's own id for the machine; required.</summary>
    [JsonPropertyName("provider_id")]
    public string ProviderId { get; init; } = string.Empty;

    /// <summary>The machine's name (ours); required.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    /// <summary>linux, windows or unknown.</summary>
    [JsonPropertyName("os_type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsType { get; init; }

    /// <summary>OS name, e.g. ubuntu.</summary>
    [JsonPropertyName("os_name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsName { get; init; }

    /// <summary>OS version, e.g. 24.04.</summary>
    [JsonPropertyName("os_version")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsVersion { get; init; }

    /// <summary>CPU architecture.</summary>
    [JsonPropertyName("os_arch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsArch { get; init; }

    /// <summary>Addresses of the machine.</summary>
    [JsonPropertyName("addresses")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<InstanceAddress>? Addresses { get; init; }

    /// <summary>The machine's status in the provider: running, error, stopped or unknown.</summary>
    [JsonPropertyName("status")]
    public InstanceStatus Status { get; init; } = InstanceStatus.Unknown;

    /// <summary>The provider's error text when <see cref="Status"/> is error (raw bytes; base64 on the wire).</summary>
    [JsonPropertyName("provider_fault")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ProviderFault { get; init; }

    /// <summary><see cref="ProviderFault"/> as text (UTF-8), empty when there is none.</summary>
    [JsonIgnore]
    public string FaultText => ProviderFault is { Length: > 0 } fault ? Encoding.UTF8.GetString(fault) : string.Empty;

    /// <summary>Why this answer breaks the contract (GARM's ValidateResult), or null when it is valid.</summary>
    public string? Problem()
    {
        if (string.IsNullOrEmpty(ProviderId))
            return "missing provider_id";
        if (string.IsNullOrEmpty(Name))
            return "missing name";
        if (!Status.IsProviderReportable())
            return $"invalid status \"{Status.ToText()}\" (a provider may report running, error, stopped or unknown)";
        return null;
    }
}

/// <summary>One address of a machine.</summary>
public sealed record InstanceAddress
{
    /// <summary>The address (IP or host name).</summary>
    [JsonPropertyName("address")]
    public string Address { get; init; } = string.Empty;

    /// <summary><c>public</c> or <c>private</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = "private";
}
