using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lifecycle.Testing.Temporal;

/// <summary>Finds the repository's <c>temporal-dev/temporal</c> launcher and builds the server once per test run.</summary>
public static class TemporalDevLauncher
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static bool built;

    /// <summary>Gets the launcher's path, found by walking up from the test assembly to <c>Lifecycle.sln</c>.</summary>
    public static string Path { get; } = FindLauncher();

    /// <summary>Builds the server if it is missing or stale (<c>temporal build</c>).</summary>
    public static async Task BuildAsync()
    {
        await BuildGate.WaitAsync();
        try
        {
            if (built) return;
            using var process = Process.Start(new ProcessStartInfo(Path, "build")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            }) ?? throw new InvalidOperationException($"{Path}: could not start");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path} build failed with exit code {process.ExitCode}:\n{await stdout}\n{await stderr}");
            }

            built = true;
        }
        finally
        {
            BuildGate.Release();
        }
    }

    private static string FindLauncher([CallerFilePath] string sourceFile = "")
    {
        // Test binaries may live outside the tree (--artifacts-path), so the source location is the fallback.
        string[] starts = [AppContext.BaseDirectory, Environment.CurrentDirectory, System.IO.Path.GetDirectoryName(sourceFile) ?? string.Empty];
        foreach (var start in starts.Where(s => s.Length > 0))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Lifecycle.sln")))
                {
                    return System.IO.Path.Combine(dir.FullName, "temporal-dev", "temporal");
                }
            }
        }

        throw new InvalidOperationException($"no Lifecycle.sln above {string.Join(", ", starts)}: cannot find temporal-dev/temporal");
    }
}
