using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lifecycle.Activities.Providers;

/// <summary>
/// What CreateInstance reads on stdin: GARM's <c>BootstrapInstance</c>, field names exact (note the dashes in
/// <c>callback-url</c>, <c>metadata-url</c>, <c>instance-token</c>, <c>ssh-keys</c>, <c>ca-cert-bundle</c>).
/// </summary>
public sealed record BootstrapInstance
{
    /// <summary>Our instance name: unique, the machine's name and the fallback identifier for deletes.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    /// <summary>Agent downloads per OS/architecture (GARM's runner tools); usually empty for us.</summary>
    [JsonPropertyName("tools")]
    public List<RunnerToolDownload> Tools { get; init; } = [];

    /// <summary>The forge URL (GARM); unused by Lifecycle, kept for providers that read it.</summary>
    [JsonPropertyName("repo_url")]
    public string RepoUrl { get; init; } = string.Empty;

    /// <summary>Where the instance's agent reports back (the process provider POSTs <c>{callback-url}/ready</c>).</summary>
    [JsonPropertyName("callback-url")]
    public string CallbackUrl { get; init; } = string.Empty;

    /// <summary>Where the instance fetches what it needs to set itself up.</summary>
    [JsonPropertyName("metadata-url")]
    public string MetadataUrl { get; init; } = string.Empty;

    /// <summary>The per-instance bearer token for the callback and metadata URLs.</summary>
    [JsonPropertyName("instance-token")]
    public string InstanceToken { get; init; } = string.Empty;

    /// <summary>Public SSH keys to install, when the provider can.</summary>
    [JsonPropertyName("ssh-keys")]
    public List<string> SshKeys { get; init; } = [];

    /// <summary>Opaque provider-specific settings of the pool (GARM's extra specs); omitted when absent.</summary>
    [JsonPropertyName("extra_specs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ExtraSpecs { get; init; }

    /// <summary>GitHub runner group (GARM); unused by Lifecycle.</summary>
    [JsonPropertyName("github-runner-group")]
    public string GitHubRunnerGroup { get; init; } = string.Empty;

    /// <summary>CA bundle to trust; base64 on the wire, as Go encodes bytes.</summary>
    [JsonPropertyName("ca-cert-bundle")]
    public byte[]? CaCertBundle { get; init; }

    /// <summary>CPU architecture: amd64, arm64, arm, i386.</summary>
    [JsonPropertyName("arch")]
    public string Arch { get; init; } = string.Empty;

    /// <summary>linux or windows.</summary>
    [JsonPropertyName("os_type")]
    public string OsType { get; init; } = string.Empty;

    /// <summary>Provider-specific size of the machine.</summary>
    [JsonPropertyName("flavor")]
    public string Flavor { get; init; } = string.Empty;

    /// <summary>Provider-specific image of the machine.</summary>
    [JsonPropertyName("image")]
    public string Image { get; init; } = string.Empty;

    /// <summary>Labels for the machine.</summary>
    [JsonPropertyName("labels")]
    public List<string> Labels { get; init; } = [];

    /// <summary>The pool (our preset) id; the same value as <c>GARM_POOL_ID</c>.</summary>
    [JsonPropertyName("pool_id")]
    public string PoolId { get; init; } = string.Empty;

    /// <summary>Options for the machine's first boot.</summary>
    [JsonPropertyName("user_data_options")]
    public UserDataOptions UserDataOptions { get; init; } = new();

    /// <summary>GARM just-in-time runner config; false for Lifecycle.</summary>
    [JsonPropertyName("jit_config_enabled")]
    public bool JitConfigEnabled { get; init; }

    /// <summary>Proxy settings for the machine.</summary>
    [JsonPropertyName("proxy_config")]
    public ProxyConfig ProxyConfig { get; init; } = new();
}

/// <summary>One agent download of GARM's runner tools list.</summary>
public sealed record RunnerToolDownload
{
    /// <summary>Operating system of the download.</summary>
    [JsonPropertyName("os")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Os { get; init; }

    /// <summary>CPU architecture of the download.</summary>
    [JsonPropertyName("architecture")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Architecture { get; init; }

    /// <summary>Where to download it.</summary>
    [JsonPropertyName("download_url")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DownloadUrl { get; init; }

    /// <summary>The file name.</summary>
    [JsonPropertyName("filename")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Filename { get; init; }

    /// <summary>A token for the download, when it needs one.</summary>
    [JsonPropertyName("temp_download_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TempDownloadToken { get; init; }

    /// <summary>The file's SHA-256.</summary>
    [JsonPropertyName("sha256_checksum")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sha256Checksum { get; init; }
}

/// <summary>First-boot options (GARM's <c>user_data_options</c>).</summary>
public sealed record UserDataOptions
{
    /// <summary>Skip package updates on boot.</summary>
    [JsonPropertyName("disable_updates_on_boot")]
    public bool DisableUpdatesOnBoot { get; init; }

    /// <summary>Packages to install on boot.</summary>
    [JsonPropertyName("extra_packages")]
    public List<string> ExtraPackages { get; init; } = [];

    /// <summary>Verbose boot logging.</summary>
    [JsonPropertyName("enable_boot_debug")]
    public bool EnableBootDebug { get; init; }
}

/// <summary>Proxy settings passed to the machine.</summary>
public sealed record ProxyConfig
{
    /// <summary>HTTP proxy URL.</summary>
    [JsonPropertyName("http_proxy")]
    public string HttpProxy { get; init; } = string.Empty;

    /// <summary>HTTPS proxy URL.</summary>
    [JsonPropertyName("https_proxy")]
    public string HttpsProxy { get; init; } = string.Empty;

    /// <summary>Hosts that bypass the proxy.</summary>
    [JsonPropertyName("no_proxy")]
    public string NoProxy { get; init; } = string.Empty;
}
