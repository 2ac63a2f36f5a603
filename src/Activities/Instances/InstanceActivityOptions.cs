namespace Lifecycle.Activities.Instances;

/// <summary>
/// Settings of the Instance activities, bound from the <c>Lifecycle</c> configuration section
/// (<c>Lifecycle:ControllerId</c>, <c>Lifecycle:CallbackBaseUrl</c>, <c>Lifecycle:InstanceTokenSecret</c>).
/// </summary>
public sealed class InstanceActivityOptions
{
    /// <summary>The configuration section the host binds these options from.</summary>
    public const string SectionName = "Lifecycle";

    /// <summary>The shortest secret accepted: 32 characters, so the derived tokens cannot be guessed.</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>This installation's id: every machine is labelled with it so no two installations touch each other's.</summary>
    public string ControllerId { get; set; } = string.Empty;

    /// <summary>
    /// Where agents reach the API (<c>https://lifecycle.example.com</c>); an instance's callback URL is
    /// <c>{CallbackBaseUrl}/api/v1/instances/{instanceId}</c> and its agent POSTs <c>…/ready</c> there.
    /// </summary>
    public string CallbackBaseUrl { get; set; } = string.Empty;

    /// <summary>
    /// The secret per-instance tokens are derived from (HMAC-SHA256 of the instance id), so a retried create hands the
    /// machine the same token; only the token's SHA-256 is stored. Changing it invalidates every unready instance's token.
    /// </summary>
    public string InstanceTokenSecret { get; set; } = string.Empty;

    /// <summary>How often a provider call in flight reports that the worker is alive (the workflow allows 30 s between reports).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Problems with the settings, each naming the setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ControllerId))
            problems.Add($"{SectionName}:ControllerId must be set (it labels every machine this installation makes)");
        if (!Uri.TryCreate(CallbackBaseUrl, UriKind.Absolute, out var callback) || (callback.Scheme != Uri.UriSchemeHttp && callback.Scheme != Uri.UriSchemeHttps))
            problems.Add($"{SectionName}:CallbackBaseUrl must be an absolute http or https URL (got \"{CallbackBaseUrl}\")");
        if ((InstanceTokenSecret ?? string.Empty).Length < MinimumSecretLength)
            problems.Add($"{SectionName}:InstanceTokenSecret must be at least {MinimumSecretLength} characters (got {(InstanceTokenSecret ?? string.Empty).Length})");
        if (HeartbeatInterval <= TimeSpan.Zero)
            problems.Add($"{SectionName}:HeartbeatInterval must be positive (got {HeartbeatInterval})");
        return problems;
    }

    /// <summary>The callback URL handed to the machine of <paramref name="instanceId"/>.</summary>
    public Uri CallbackUrlFor(Guid instanceId) => new($"{CallbackBaseUrl.TrimEnd('/')}/api/v1/instances/{instanceId}");
}
