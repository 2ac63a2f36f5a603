using System.Diagnostics;
using Lifecycle.Worker.Hosting;
using Xunit;

namespace Lifecycle.Tests.Host;

/// <summary>The real worker executable, started as operators start it, refuses a bad setting with one line and exit code 2.</summary>
public sealed class WorkerExecutableTests
{
    [Fact]
    public async Task Bad_setting_exits_with_code_2_and_one_line_on_stderr()
    {
        var result = await RunWorkerAsync(new() { ["LIFECYCLE_TEMPORAL_ADDRESS"] = "no-port-here" });

        Assert.Equal(LifecycleHost.InvalidSettingExitCode, result.ExitCode);
        Assert.Equal(
            ["invalid setting LIFECYCLE_TEMPORAL_ADDRESS (Lifecycle:Temporal:Address): \"no-port-here\" is not host:port (for example temporal.example.com:7233)"],
            result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Unreachable_database_exits_with_code_1_naming_it()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        var result = await RunWorkerAsync(new() { ["LIFECYCLE_DATABASE_URL"] = "postgres://u:p@127.0.0.1:1/db" });

        Assert.Equal(LifecycleHost.StartupFailedExitCode, result.ExitCode);
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("cannot reach the database of LIFECYCLE_DATABASE_URL: ", lines[0], StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string StandardError)> RunWorkerAsync(Dictionary<string, string> environment)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Lifecycle.Worker.dll");
        var start = new ProcessStartInfo("dotnet", [worker])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("LIFECYCLE_", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(variable);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
