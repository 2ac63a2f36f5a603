using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lifecycle.ProcessProvider;

/// <summary>
/// The parts of GARM's contract JSON this provider reads and writes. It is a separate program speaking the wire
/// format, like any third-party provider, so it keeps its own small copy of the shapes it needs.
/// </summary>
internal static class Wire
{
    /// <summary>Go's encoding/json matches names without case and ignores unknown fields; so do we (source-generated: a call starts fast).</summary>
    public static readonly JsonSerializerOptions Json = WireJson.Default.Options;
}

/// <summary>Source-generated serializers for every shape this program reads or writes.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BootstrapParams))]
[JsonSerializable(typeof(InstanceOutput))]
[JsonSerializable(typeof(List<InstanceOutput>))]
[JsonSerializable(typeof(InstanceRecord))]
[JsonSerializable(typeof(ProcessProviderSettings))]
[JsonSerializable(typeof(ReadyReport))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class WireJson : JsonSerializerContext
{
}

/// <summary>The body of the ready callback.</summary>
internal sealed record ReadyReport(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("provider_id")] string ProviderId);

/// <summary>The fields of GARM's bootstrap params (stdin of CreateInstance) that a local process needs.</summary>
internal sealed record BootstrapParams
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    [JsonPropertyName("callback-url")]
    public string CallbackUrl { get; init; } = string.Empty;

    [JsonPropertyName("metadata-url")]
    public string MetadataUrl { get; init; } = string.Empty;

    [JsonPropertyName("instance-token")]
    public string InstanceToken { get; init; } = string.Empty;

    [JsonPropertyName("pool_id")]
    public string PoolId { get; init; } = string.Empty;

    [JsonPropertyName("os_type")]
    public string OsType { get; init; } = string.Empty;

    [JsonPropertyName("arch")]
    public string Arch { get; init; } = string.Empty;

    [JsonPropertyName("image")]
    public string Image { get; init; } = string.Empty;

    [JsonPropertyName("flavor")]
    public string Flavor { get; init; } = string.Empty;
}

/// <summary>GARM's ProviderInstance as printed by create, get and list.</summary>
internal sealed record InstanceOutput
{
    [JsonPropertyName("provider_id")]
    public string ProviderId { get; init; } = string.Empty;

    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    [JsonPropertyName("os_type")]
    public string OsType { get; init; } = "linux";

    [JsonPropertyName("os_name")]
    public string? OsName { get; init; }

    [JsonPropertyName("os_version")]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os_arch")]
    public string? OsArch { get; init; }

    [JsonPropertyName("addresses")]
    public List<AddressOutput>? Addresses { get; init; }

    [JsonPropertyName("status")]
    public string Status { get; init; } = "unknown";

    /// <summary>Bytes, so base64 on the wire as Go encodes them.</summary>
    [JsonPropertyName("provider_fault")]
    public byte[]? ProviderFault { get; init; }
}

/// <summary>One address of an instance.</summary>
internal sealed record AddressOutput(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("type")] string Type);
