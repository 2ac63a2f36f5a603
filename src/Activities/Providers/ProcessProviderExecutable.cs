namespace Lifecycle.Activities.Providers;

/// <summary>
/// Finds the built-in <c>lifecycle-process-provider</c> executable and describes it as a provider. Its build output
/// is looked for beside this program, then beside our build folder (artifacts layout and default bin layout).
/// </summary>
public static class ProcessProviderExecutable
{
    /// <summary>The executable's file name (apphost).</summary>
    public const string FileName = "lifecycle-process-provider";

    /// <summary>Overrides the search with an explicit path.</summary>
    public const string PathVariable = "LIFECYCLE_PROCESS_PROVIDER";

    /// <summary>The provider name presets use for it.</summary>
    public const string ProviderName = "process";

    /// <summary>The apphost path, or an error listing every place searched.</summary>
    public static string Locate(string? baseDirectory = null)
    {
        var searched = new List<string>();
        foreach (var candidate in Candidates(baseDirectory ?? AppContext.BaseDirectory))
        {
            searched.Add(candidate);

            // A referencing project may copy the apphost without its dll; such a copy cannot run.
            if (File.Exists(candidate) && File.Exists(candidate + ".dll"))
                return Path.GetFullPath(candidate);
        }

        throw new FileNotFoundException(
            $"the {FileName} executable was not found (build src/ProcessProvider, or set {PathVariable}); searched: {string.Join(", ", searched)}");
    }

    /// <summary>The built-in provider's definition; its config file (may be empty) names the state directory.</summary>
    public static ProviderDefinition Definition(string? configFile = null, TimeSpan? timeout = null, string? executable = null) => new()
    {
        Name = ProviderName,
        Executable = executable ?? Locate(),
        ConfigFile = configFile ?? string.Empty,
        InterfaceVersion = ProviderContract.InterfaceV011,
        Timeout = timeout ?? TimeSpan.FromSeconds(60),

        // The apphost needs to find the .NET runtime when it is not installed in the default place.
        EnvironmentPrefixes = ["DOTNET_ROOT"],
    };

    private static IEnumerable<string> Candidates(string baseDirectory)
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath)
            yield return explicitPath;

        var here = new DirectoryInfo(baseDirectory);
        yield return Path.Combine(here.FullName, FileName);

        // Artifacts layout: <artifacts>/bin/<Project>/<pivot>/ — the provider sits at <artifacts>/bin/Lifecycle.ProcessProvider/<pivot>/.
        if (here.Parent?.Parent is { } bin)
            yield return Path.Combine(bin.FullName, "Lifecycle.ProcessProvider", here.Name, FileName);

        // Default layout: <repo>/<dir>/<Project>/bin/<Configuration>/<tfm>/ — find src/ProcessProvider above and use the same tail.
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            var project = Path.Combine(dir.FullName, "src", "ProcessProvider");
            if (!Directory.Exists(project))
                continue;
            var tail = TailAfterBin(here);
            if (tail is not null)
                yield return Path.Combine(project, "bin", tail, FileName);
            break;
        }
    }

    private static string? TailAfterBin(DirectoryInfo directory)
    {
        var parts = new List<string>();
        for (var dir = directory; dir is not null; dir = dir.Parent)
        {
            if (dir.Name == "bin")
                return Path.Combine([.. parts]);
            parts.Insert(0, dir.Name);
        }

        return null;
    }
}
