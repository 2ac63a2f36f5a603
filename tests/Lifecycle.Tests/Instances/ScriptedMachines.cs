using System.Runtime.Versioning;
using Lifecycle.Activities.Providers;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// The scripted provider (Providers/scripted-provider.sh) set up for instance tests: its control file, its state
/// directory, its definition for a <see cref="ProviderCatalog"/>, and what it was asked to do.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ScriptedMachines : IDisposable
{
    private ScriptedMachines(string directory, ProviderDefinition definition)
    {
        Directory = directory;
        Definition = definition;
    }

    public string Directory { get; }

    public ProviderDefinition Definition { get; }

    public string ControlFile => Path.Combine(Directory, "control.sh");

    public string StateDir => Path.Combine(Directory, "state");

    /// <summary>A scripted provider named <paramref name="name"/> controlled by <paramref name="settings"/> (KEY=value lines).</summary>
    public static ScriptedMachines Create(string settings = "", string name = "scripted", TimeSpan? timeout = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"instances-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var script = Providers.ProviderTestKit.ScriptedProviderPath();
        var machines = new ScriptedMachines(directory, new ProviderDefinition
        {
            Name = name,
            Executable = script,
            ConfigFile = Path.Combine(directory, "control.sh"),
            InterfaceVersion = ProviderContract.InterfaceV011,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        });
        machines.Control(settings);
        return machines;
    }

    /// <summary>Rewrites the control file; the next call reads it.</summary>
    public void Control(string settings) => File.WriteAllText(ControlFile, $"STATE_DIR='{StateDir}'\n{settings}\n");

    /// <summary>Lets every call waiting under <c>HOLD=…</c> go on (and every later one pass at once).</summary>
    public void Release()
    {
        System.IO.Directory.CreateDirectory(StateDir);
        File.WriteAllText(Path.Combine(StateDir, "release"), string.Empty);
    }

    /// <summary>The calls received, in order, as (command, GARM_INSTANCE_ID, name from stdin).</summary>
    public IReadOnlyList<(string Command, string InstanceId, string Name)> Calls()
    {
        var log = Path.Combine(StateDir, "calls.log");
        if (!File.Exists(log))
            return [];
        return [.. File.ReadAllLines(log).Select(line => line.Split('\t')).Select(f => (f[1], f[2], f[4]))];
    }

    /// <summary>The commands received, in order ("CreateInstance", "DeleteInstance:sp-x", …), ids shown for deletes and looks.</summary>
    public IReadOnlyList<string> Commands() =>
        [.. Calls().Select(c => c.Command is "DeleteInstance" or "GetInstance" ? $"{c.Command}:{c.InstanceId}" : c.Command)];

    /// <summary>The stdin of every CreateInstance call, in order.</summary>
    public IReadOnlyList<string> CreateInputs()
    {
        var dir = Path.Combine(StateDir, "stdin");
        if (!System.IO.Directory.Exists(dir))
            return [];
        return [.. System.IO.Directory.GetFiles(dir, "*.json")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture))
            .Select(File.ReadAllText)];
    }

    /// <summary>The machines the provider holds now, by name.</summary>
    public IReadOnlyList<string> Machines()
    {
        var dir = Path.Combine(StateDir, "instances");
        return System.IO.Directory.Exists(dir) ? [.. System.IO.Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>()] : [];
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
