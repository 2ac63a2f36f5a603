using System.Security.Cryptography;
using System.Text;
using Lifecycle.Worker.Configuration;

namespace Lifecycle.Worker.Api;

/// <summary>
/// The bearer token every <c>/api/v1</c> route except the agent callback requires. Configured with
/// <c>LIFECYCLE_API_TOKEN</c>; on the embedded defaults (no Temporal address configured) an unset token is made once
/// and kept in the data folder (<c>api-token</c>, mode 0600) so restarts and scripts keep using it. A configured
/// Temporal cluster means production, where an unset token is a start-up error rather than a secret nobody saw.
/// </summary>
public sealed class ApiToken
{
    /// <summary>File in the data folder holding the generated token.</summary>
    public const string FileName = "api-token";

    /// <summary>Shortest token accepted from configuration.</summary>
    public const int MinimumLength = 16;

    private readonly byte[] digest;

    public ApiToken(string value, bool generated, string? file = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value;
        Generated = generated;
        File = file;
        digest = SHA256.HashData(Encoding.UTF8.GetBytes(value));
    }

    public string Value { get; }

    /// <summary>Made by this installation (dev mode) rather than configured.</summary>
    public bool Generated { get; }

    /// <summary>Where the generated token is kept, when it was generated.</summary>
    public string? File { get; }

    /// <summary>The configured token, or in dev mode the one kept in the data folder (made on first use).</summary>
    public static ApiToken Resolve(string? configured, LifecycleOptions options)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var trimmed = configured.Trim();
            return trimmed.Length >= MinimumLength
                ? new ApiToken(trimmed, generated: false)
                : throw new InvalidSettingException(LifecycleSettings.ApiToken, $"is {trimmed.Length} characters; use at least {MinimumLength} (e.g. openssl rand -hex 32)");
        }
        if (options.Temporal.Address is not null)
        {
            throw new InvalidSettingException(
                LifecycleSettings.ApiToken,
                "is missing: with a configured Temporal server (LIFECYCLE_TEMPORAL_ADDRESS) the API token must be configured (e.g. openssl rand -hex 32)");
        }
        var path = Path.Combine(options.DataDirectory, FileName);
        if (System.IO.File.Exists(path))
        {
            var kept = System.IO.File.ReadAllText(path).Trim();
            return kept.Length >= MinimumLength
                ? new ApiToken(kept, generated: true, path)
                : throw new InvalidSettingException(LifecycleSettings.ApiToken, $"the kept token in {path} is too short; delete the file to make a new one");
        }
        Directory.CreateDirectory(options.DataDirectory);
        var made = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        System.IO.File.WriteAllText(path, made);
        if (!OperatingSystem.IsWindows())
            System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new ApiToken(made, generated: true, path);
    }

    /// <summary>
    /// Whether an <c>Authorization</c> header carries this token. Both sides are hashed first so the comparison is
    /// constant-time and independent of the presented token's length.
    /// </summary>
    public bool Accepts(string? authorizationHeader)
    {
        const string scheme = "Bearer ";
        if (authorizationHeader is null || !authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorizationHeader[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, digest);
    }
}

/// <summary>Refuses a request under <c>/api/v1</c> without the API token: 401, a JSON error, and the endpoint never runs.</summary>
public sealed class ApiTokenFilter(ApiToken token) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!token.Accepts(header))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiJson.Problem(
                StatusCodes.Status401Unauthorized,
                string.IsNullOrEmpty(header) ? "Authorization: a Bearer API token is required" : "Authorization: the API token is not valid",
                "Authorization");
        }
        return await next(context);
    }
}

/// <summary>Prints the generated dev-mode token once the host has started, so the operator can call the API.</summary>
public sealed class ApiTokenAnnouncement(ApiToken token, ILogger<ApiTokenAnnouncement> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (token.Generated)
        {
            logger.LogWarning("Dev mode API token (kept in {File}; set LIFECYCLE_API_TOKEN to choose one): {Token}", token.File, token.Value);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
