using System.Security.Cryptography;
using System.Text.Json;

namespace Lifecycle.Worker.Provisioning;

/// <summary>
/// The installation's controller id (GARM tags every machine with it, so one installation never touches another's) and
/// the secret instance tokens are derived from. Configured in production; on embedded defaults made once and kept in
/// the data folder, so a restart keeps recognising its own machines and agents.
/// </summary>
public sealed record InstallationIdentity(string ControllerId, string InstanceTokenSecret)
{
    private const string FileName = "installation.json";

    /// <summary>The configured values, or those kept in <paramref name="dataDirectory"/> (created on first use).</summary>
    public static InstallationIdentity Resolve(string? controllerId, string? instanceTokenSecret, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(controllerId) && !string.IsNullOrEmpty(instanceTokenSecret))
        {
            return new(controllerId, instanceTokenSecret);
        }
        var path = Path.Combine(dataDirectory, FileName);
        InstallationIdentity? kept = null;
        if (File.Exists(path))
        {
            kept = JsonSerializer.Deserialize<InstallationIdentity>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path} is empty; delete it to make a new installation identity");
        }
        else
        {
            Directory.CreateDirectory(dataDirectory);
            kept = new(Guid.NewGuid().ToString(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            File.WriteAllText(path, JsonSerializer.Serialize(kept));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return new(
            string.IsNullOrEmpty(controllerId) ? kept.ControllerId : controllerId,
            string.IsNullOrEmpty(instanceTokenSecret) ? kept.InstanceTokenSecret : instanceTokenSecret);
    }
}
