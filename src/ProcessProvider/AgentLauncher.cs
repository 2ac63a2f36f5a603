using System.Diagnostics;
using System.Globalization;

namespace Lifecycle.ProcessProvider;

/// <summary>
/// Starts an instance's agent as a detached process: its own session and process group (setsid), stdin from
/// /dev/null and output to its log file, so it holds none of the caller's pipes and outlives this call.
/// </summary>
internal static class AgentLauncher
{
    // "$@" is the agent command line; `&` detaches it from the shell, which exits at once and prints the pid.
    private const string Script = "setsid \"$@\" </dev/null >>\"$LIFECYCLE_AGENT_LOG\" 2>&1 & echo $!";

    private static readonly string[] SetsidPaths = ["/usr/bin/setsid", "/bin/setsid", "/usr/sbin/setsid", "/sbin/setsid"];

    public static async Task<LocalProcess> StartAsync(string recordPath, string logPath)
    {
        var setsid = SetsidPaths.FirstOrDefault(File.Exists)
            ?? throw new ProviderFailure($"setsid was not found (looked in {string.Join(", ", SetsidPaths)}); install util-linux");
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script.Replace("setsid", setsid, StringComparison.Ordinal));
        start.ArgumentList.Add("sh");
        foreach (var part in SelfCommand())
            start.ArgumentList.Add(part);
        start.ArgumentList.Add("agent");
        start.ArgumentList.Add(recordPath);
        start.Environment["LIFECYCLE_AGENT_LOG"] = logPath;

        using var shell = Process.Start(start) ?? throw new ProviderFailure("could not start /bin/sh to launch the agent");
        var output = await shell.StandardOutput.ReadToEndAsync();
        var error = await shell.StandardError.ReadToEndAsync();
        await shell.WaitForExitAsync();
        if (shell.ExitCode != 0 || !int.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            throw new ProviderFailure($"launching the agent failed (exit {shell.ExitCode}): {error.Trim()}{output.Trim()}");

        // The start time is read once the pid exists; it stays the same across setsid's exec into the agent.
        return LocalProcess.Find(pid) ?? throw new ProviderFailure($"the agent (pid {pid}) exited at once; see {logPath}");
    }

    /// <summary>How to run this program again: the apphost, or the dotnet host plus our dll.</summary>
    private static IEnumerable<string> SelfCommand()
    {
        var host = Environment.ProcessPath ?? throw new ProviderFailure("cannot tell this program's path to start the agent");
        yield return host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            yield return typeof(AgentLauncher).Assembly.Location;
    }
}
