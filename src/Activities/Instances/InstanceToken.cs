using System.Security.Cryptography;
using System.Text;

namespace Lifecycle.Activities.Instances;

/// <summary>
/// The per-instance bearer token an agent presents on its ready callback: HMAC-SHA256(secret, instance id), so every
/// create attempt of the same instance hands out the same token. Only <see cref="Hash"/> of it is stored.
/// </summary>
public static class InstanceToken
{
    /// <summary>The token for <paramref name="instanceId"/> (base64url, no padding: safe in a header and a URL).</summary>
    public static string Derive(string secret, Guid instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(instanceId.ToString("D")));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>What the store keeps: the SHA-256 of the token's UTF-8 bytes (32 bytes).</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>True when <paramref name="token"/> hashes to <paramref name="storedHash"/>; compares in constant time.</summary>
    public static bool Matches(string token, byte[]? storedHash) =>
        storedHash is { Length: 32 } && CryptographicOperations.FixedTimeEquals(Hash(token), storedHash);
}
