using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Temporalio.Client;

namespace Lifecycle.Worker.Temporal;

/// <summary>
/// The embedded Temporal default: <c>temporal-dev/temporal server start-dev</c> on a free port, as a child process the
/// host owns (killed with its whole process tree when the host stops). Its database lives in the data folder, so
/// workflows and schedules survive a restart of the host.
/// </summary>
public sealed class TemporalDevServer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);

    private readonly Process process;
    private readonly ILogger logger;
    private readonly Queue<string> recentOutput = new();

    private TemporalDevServer(Process process, string address, ILogger logger)
    {
        this.process = process;
        this.logger = logger;
        Address = address;
    }

    /// <summary>host:port of the server's frontend.</summary>
    public string Address { get; }

    /// <summary>The launcher of the checkout the host runs from: walks up from the working directory to temporal-dev/temporal.</summary>
    public static string? FindLauncher(string workingDirectory)
    {
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "temporal-dev", "temporal");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Launches the server and returns once it answers gRPC health checks.</summary>
    public static async Task<TemporalDevServer> StartAsync(
        string launcher, string dataDirectory, string @namespace, IEnumerable<string> searchAttributes, ILogger logger, CancellationToken cancellationToken)
    {
        if (!File.Exists(launcher))
        {
            throw new TemporalStartupException(
                $"embedded Temporal: launcher {launcher} not found; set LIFECYCLE_TEMPORAL_ADDRESS to use a Temporal server, or LIFECYCLE_TEMPORAL_DEV_LAUNCHER to point at temporal-dev/temporal");
        }
        Directory.CreateDirectory(dataDirectory);
        var port = FreePort();
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(launcher)!,
        };
        foreach (var argument in (string[])[
            launcher, "server", "start-dev", "--ip", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--headless", "--namespace", @namespace, "--db-filename", Path.Combine(dataDirectory, "temporal.db"), "--log-level", "warn"])
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var attribute in searchAttributes)
        {
            start.ArgumentList.Add("--search-attribute");
            start.ArgumentList.Add(attribute);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.Start();
        process.StandardInput.Close();
        var server = new TemporalDevServer(process, $"127.0.0.1:{port}", logger);
        process.OutputDataReceived += (_, e) => server.Remember(e.Data, LogLevel.Debug);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data, LogLevel.Information);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        logger.LogInformation("embedded Temporal: starting {Launcher} on {Address} (namespace {Namespace})", launcher, server.Address, @namespace);
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        logger.LogInformation("embedded Temporal: ready on {Address}", server.Address);
        return server;
    }

    /// <summary>Kills the server and everything it started.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                logger.LogInformation("embedded Temporal stopped");
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new TemporalStartupException(
                    $"embedded Temporal: temporal-dev exited with code {process.ExitCode} before it was ready: {LastOutput()}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TemporalStartupException($"embedded Temporal: temporal-dev did not answer on {Address} within {ReadyTimeout.TotalMinutes:0} minutes: {LastOutput()}");
            }
            try
            {
                // Connecting calls GetSystemInfo, the call the SDK itself makes first: when it answers, the server serves.
                await TemporalConnection.ConnectAsync(new TemporalConnectionOptions(Address) { RpcRetry = new RpcRetryOptions { MaxRetries = 0 } });
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not listening yet (the launcher may be building the server first).
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private void Remember(string? line, LogLevel level)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }
        lock (recentOutput)
        {
            recentOutput.Enqueue(line);
            while (recentOutput.Count > 20)
            {
                recentOutput.Dequeue();
            }
        }
        logger.Log(level, "temporal-dev: {Line}", line);
    }

    private string LastOutput()
    {
        lock (recentOutput)
        {
            return recentOutput.Count == 0 ? "(no output)" : recentOutput.Last();
        }
    }
}
