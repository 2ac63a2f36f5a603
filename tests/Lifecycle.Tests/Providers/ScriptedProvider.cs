using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using Lifecycle.Activities.Providers;

namespace Lifecycle.Tests.Providers;

/// <summary>
/// One scripted provider set-up: its own state directory and control file (see scripted-provider.sh for the
/// settings), the <see cref="ExternalProvider"/> that runs it, and the log of the calls it received.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ScriptedProvider : IDisposable
{
    private ScriptedProvider(string directory, string controlFile, ExternalProvider provider)
    {
        Directory = directory;
        ControlFile = controlFile;
        Provider = provider;
    }

    public string Directory { get; }

    public string ControlFile { get; }

    public ExternalProvider Provider { get; }

    /// <summary>The definition to configure elsewhere (e.g. a worker's provider catalog in workflow tests).</summary>
    public ProviderDefinition Definition => Provider.Definition;

    public string StateDir => Path.Combine(Directory, "state");

    /// <summary>A scripted provider named "scripted" with the given control settings (KEY=value lines).</summary>
    public static ScriptedProvider Create(string settings = "", string interfaceVersion = ProviderContract.InterfaceV010, TimeSpan? timeout = null, string name = "scripted")
    {
        var dir = ProviderTestKit.TempDirectory("scripted");
        var control = Path.Combine(dir, "control.sh");
        File.WriteAllText(control, string.Empty);
        var provider = new ExternalProvider(
            new ProviderDefinition
            {
                Name = name,
                Executable = ProviderTestKit.ScriptedProviderPath(),
                ConfigFile = control,
                InterfaceVersion = interfaceVersion,
                Timeout = timeout ?? TimeSpan.FromSeconds(30),
            },
            controllerId: "controller-1");
        var scripted = new ScriptedProvider(dir, control, provider);
        scripted.Control(settings);
        return scripted;
    }

    /// <summary>Rewrites the control file; the next call reads it.</summary>
    public void Control(string settings) =>
        File.WriteAllText(ControlFile, $"STATE_DIR='{StateDir}'\n{settings}\n");

    /// <summary>Every call received so far, in order.</summary>
    public IReadOnlyList<ScriptedCall> Calls()
    {
        var log = Path.Combine(StateDir, "calls.log");
        if (!File.Exists(log))
            return [];
        return [.. File.ReadAllLines(log).Select(line => ScriptedCall.Parse(line, StateDir))];
    }

    /// <summary>"script-pid sleep-pid" pairs of calls that hung.</summary>
    public IReadOnlyList<int> HungPids()
    {
        var path = Path.Combine(StateDir, "hang.pids");
        return File.Exists(path)
            ? [.. File.ReadAllText(path).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))]
            : [];
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Leftover temp files are harmless.
        }
    }
}

/// <summary>One line of the scripted provider's calls.log.</summary>
internal sealed record ScriptedCall(int Seq, string Command, string InstanceId, string PoolId, string Name, string ControllerId, string InterfaceVersion, string ExtraSpecsBase64, string? Stdin)
{
    public static ScriptedCall Parse(string line, string stateDir)
    {
        var f = line.Split('\t');
        var seq = int.Parse(f[0], CultureInfo.InvariantCulture);
        var stdinPath = Path.Combine(stateDir, "stdin", $"{seq}.json");
        return new ScriptedCall(seq, f[1], f[2], f[3], f[4], f[5], f[6], f[7], File.Exists(stdinPath) ? File.ReadAllText(stdinPath) : null);
    }

    public string ExtraSpecs => Encoding.UTF8.GetString(Convert.FromBase64String(ExtraSpecsBase64));
}
