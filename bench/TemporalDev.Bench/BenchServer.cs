using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Temporalio.Client;

namespace TemporalDev.Bench;

/// <summary>What every temporal-dev bench does the same way: launch a dev server, run one-activity workflows, park workflows.</summary>
public static class BenchServer
{
    /// <summary>Launches <c>server start-dev</c> on a free port and waits for its first GetSystemInfo answer.</summary>
    public static async Task<(Process Server, TemporalClient Client, TimeSpan Ready)> LaunchAsync(string launcher, IEnumerable<string> extraArgs, Action<string>? onOutput = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["server", "start-dev", "--port", port.ToString(CultureInfo.InvariantCulture), "--headless"]) info.ArgumentList.Add(arg);
        foreach (var arg in extraArgs) info.ArgumentList.Add(arg);

        var clock = Stopwatch.StartNew();
        var server = Process.Start(info) ?? throw new InvalidOperationException($"{launcher}: could not start");

        // Always drain the server's output: an unread pipe fills up and blocks the server on its next log line.
        server.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line) onOutput?.Invoke(line);
        };
        server.BeginOutputReadLine();
        while (true)
        {
            try
            {
                var client = await TemporalClient.ConnectAsync(new($"127.0.0.1:{port}"));
                await client.Connection.WorkflowService.GetSystemInfoAsync(new());
                return (server, client, clock.Elapsed);
            }
            catch (Exception) when (clock.Elapsed < TimeSpan.FromSeconds(60) && !server.HasExited)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Runs <paramref name="count"/> one-activity workflows to completion, 100 in flight.</summary>
    public static async Task RunOneActivityBatchAsync(ITemporalClient client, string queue, int count, string prefix) =>
        await BoundedAsync(count, 100, async i =>
        {
            var id = $"{prefix}-{i}-{Guid.NewGuid():N}";
            var result = await client.ExecuteWorkflowAsync((OneActivityWorkflow w) => w.RunAsync(id), new(id, queue));
            if (result != id) throw new InvalidOperationException($"workflow {id} returned {result}");
        });

    /// <summary>Starts <c>parked-0</c>…<c>parked-{count-1}</c> (each waits on a long timer), 64 starts in flight.</summary>
    public static async Task StartParkedAsync(ITemporalClient client, string queue, int count) =>
        await BoundedAsync(count, 64, i => client.StartWorkflowAsync((ParkedWorkflow w) => w.RunAsync(), new($"parked-{i}", queue)));

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static async Task BoundedAsync(int count, int inFlight, Func<int, Task> body)
    {
        using var gate = new SemaphoreSlim(inFlight);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await body(i);
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}
