using System.Diagnostics;

namespace Lifecycle.Tests.Host;

/// <summary>
/// Child processes a host test starts (the real worker executable, scripts) with only the environment the test gives
/// them.
/// </summary>
internal static class WorkerProcess
{
    /// <summary>The worker executable the test project builds beside itself.</summary>
    public static string[] WorkerArguments => [Path.Combine(AppContext.BaseDirectory, "Lifecycle.Worker.dll")];

    /// <summary>
    /// Starts <paramref name="file"/> with every <c>LIFECYCLE_*</c> variable of the test's own environment removed and
    /// <paramref name="environment"/> set. A drained stream is read and dropped, so a chatty log never blocks the child
    /// on a full pipe; an undrained one stays for the caller to read.
    /// </summary>
    public static Process Start(string file, string[] arguments, string directory, Dictionary<string, string> environment, bool drainOutput, bool drainError)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("LIFECYCLE_", StringComparison.Ordinal)).ToArray())
            start.Environment.Remove(variable);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        var process = Process.Start(start)!;
        if (drainOutput)
        {
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
        }
        if (drainError)
        {
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
        }
        return process;
    }
}
