using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifecycle.Testing.Temporal;

namespace TemporalDev.Tests.Persistence;

/// <summary>A temporal-dev server launched in the CLI form on a database file, which a test can kill with SIGKILL.</summary>
public sealed class DevServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder stderr;

    private DevServerProcess(Process process, StringBuilder stderr, int port)
    {
        this.process = process;
        this.stderr = stderr;
        Address = $"127.0.0.1:{port}";
    }

    public string Address { get; }

    /// <summary>Launches the server and waits until it listens; throws with its stderr if it exits first.</summary>
    public static async Task<DevServerProcess> StartAsync(string dbFile)
    {
        var (process, stderr, listening) = await LaunchAsync(dbFile);
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != listening.Task)
        {
            var why = first == exited ? $"exited with code {process.ExitCode}" : "did not listen within 90 s";
            if (!process.HasExited) process.Kill();
            process.Dispose();
            throw new InvalidOperationException($"temporal-dev on {dbFile} {why}:\n{stderr}");
        }

        return new DevServerProcess(process, stderr, await listening.Task);
    }

    /// <summary>Launches the server on a file it must refuse; returns its exit code and stderr.</summary>
    public static async Task<(int ExitCode, string Stderr)> RefusedAsync(string dbFile)
    {
        var (process, stderr, listening) = await LaunchAsync(dbFile);
        using (process)
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(exited, listening.Task, Task.Delay(TimeSpan.FromSeconds(90))) != exited)
            {
                if (!process.HasExited) process.Kill();
                throw new InvalidOperationException($"temporal-dev started on {dbFile} instead of refusing it:\n{stderr}");
            }

            await exited;
            return (process.ExitCode, stderr.ToString());
        }
    }

    /// <summary>Kills the server with SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    private static async Task<(Process Process, StringBuilder Stderr, TaskCompletionSource<int> Listening)> LaunchAsync(string dbFile)
    {
        await TemporalDevLauncher.BuildAsync();
        var port = FreePort();
        var info = new ProcessStartInfo(TemporalDevLauncher.Path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "server", "start-dev", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--headless", "--db-filename", dbFile })
        {
            info.ArgumentList.Add(arg);
        }

        var stderr = new StringBuilder();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) listening.TrySetResult(port);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, stderr, listening);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
