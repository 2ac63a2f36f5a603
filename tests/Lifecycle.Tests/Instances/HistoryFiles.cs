using System.Runtime.CompilerServices;
using Temporalio.Common;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// The checked-in workflow histories under <c>tests/Histories/</c>: replayed by <see cref="HistoryReplayTests"/> so a
/// non-deterministic change to a workflow fails CI. Set <c>LIFECYCLE_RECORD_HISTORIES=1</c> to (re)write them from
/// the workflow tests that produce them.
/// </summary>
internal static class HistoryFiles
{
    public const string RecordVariable = "LIFECYCLE_RECORD_HISTORIES";

    /// <summary>The <c>tests/Histories</c> folder of this checkout (found above the test assembly).</summary>
    public static string Directory { get; } = Find();

    /// <summary>Writes <paramref name="history"/> as <c>{name}.json</c> when recording is asked for.</summary>
    public static async Task RecordIfAskedAsync(string name, WorkflowHistory history)
    {
        if (Environment.GetEnvironmentVariable(RecordVariable) != "1")
            return;
        System.IO.Directory.CreateDirectory(Directory);
        await File.WriteAllTextAsync(Path.Combine(Directory, $"{name}.json"), history.ToJson());
    }

    private static string Find([CallerFilePath] string sourceFile = "")
    {
        // Test binaries may live outside the tree (--artifacts-path), so this file's source location is the fallback.
        string[] starts = [AppContext.BaseDirectory, Environment.CurrentDirectory, Path.GetDirectoryName(sourceFile) ?? string.Empty];
        foreach (var start in starts.Where(s => s.Length > 0))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Lifecycle.sln")))
                    return Path.Combine(dir.FullName, "tests", "Histories");
            }
        }

        throw new InvalidOperationException($"no Lifecycle.sln above {string.Join(", ", starts)}: cannot find tests/Histories");
    }
}
