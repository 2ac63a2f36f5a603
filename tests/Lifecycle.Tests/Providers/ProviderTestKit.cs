using System.Globalization;
using System.Runtime.Versioning;
using Lifecycle.Activities.Providers;

namespace Lifecycle.Tests.Providers;

/// <summary>Paths, fresh ids and /proc checks shared by the provider tests.</summary>
[SupportedOSPlatform("linux")]
internal static class ProviderTestKit
{
    /// <summary>The scripted provider, copied beside the tests; made executable in case the copy lost the bit.</summary>
    public static string ScriptedProviderPath()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Providers", "scripted-provider.sh");
        if (!File.Exists(path))
            throw new FileNotFoundException($"scripted-provider.sh was not copied to {AppContext.BaseDirectory}");
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) == 0)
            File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return path;
    }

    /// <summary>A new empty directory under the system temp folder.</summary>
    public static string TempDirectory(string purpose)
    {
        var dir = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A fresh controller id, so no two tests ever see each other's instances.</summary>
    public static string ControllerId() => Guid.NewGuid().ToString();

    /// <summary>An instance name in our style.</summary>
    public static string InstanceName(string hint = "lc") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(hint.Length + 13, 40)];

    /// <summary>True when the pid has no live process (no /proc entry, or a zombie nobody reaped yet).</summary>
    public static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>The command line of a live process (for checking what a pid runs), empty when it is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>Polls a condition about the real world (a process exiting) until it holds or the limit passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                return false;
            await Task.Delay(25);
        }

        return true;
    }

    /// <summary>A bootstrap like the Instance workflow sends.</summary>
    public static BootstrapInstance Bootstrap(string name, string poolId, string callbackUrl = "", string token = "") => new()
    {
        Name = name,
        PoolId = poolId,
        CallbackUrl = callbackUrl,
        MetadataUrl = callbackUrl,
        InstanceToken = token,
        OsType = "linux",
        Arch = "amd64",
        Image = "local",
        Flavor = "small",
        Labels = ["lifecycle"],
    };
}
