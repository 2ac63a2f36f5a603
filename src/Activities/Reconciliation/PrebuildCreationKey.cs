using System.Security.Cryptography;
using System.Text;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// The identity of one prebuild creation: (pass, preset, index). Its rows' ids are derived from it (UUID version 8
/// over SHA-256), so a retried activity or a replayed pass inserts the same ids and the database keeps one of each.
/// </summary>
public readonly record struct PrebuildCreationKey(string PassId, Guid PresetId, int Index)
{
    /// <summary>The instance (workspace) id.</summary>
    public Guid InstanceId => Derive("instance");

    /// <summary>The id of the first build's provisioner job.</summary>
    public Guid JobId => Derive("job");

    /// <summary>The id of the first (start) build.</summary>
    public Guid BuildId => Derive("build");

    /// <summary>The machine name: fixed for the instance's life and unique, as the provider's idempotency key needs.</summary>
    public string InstanceName => $"prebuild-{InstanceId:N}"[..25];

    private Guid Derive(string part)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"lifecycle/prebuild/{part}/{PassId}/{PresetId:D}/{Index}"), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
