using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;

namespace Lifecycle.Activities.Providers;

/// <summary>
/// Runs a provider executable once: replaced environment, stdin written then closed, stdout and stderr captured
/// separately. Past the timeout, or when the caller cancels, the whole process tree is killed.
/// </summary>
public static class ProviderProcess
{
    /// <summary>Stdout kept at most (a ListInstances of a big pool is the largest answer).</summary>
    public const int MaxStdoutBytes = 64 * 1024 * 1024;

    /// <summary>Stderr kept at most; the rest is read and dropped so the provider never blocks on a full pipe.</summary>
    public const int MaxStderrBytes = 256 * 1024;

    /// <summary>How long output pipes may stay open after the provider exited (held by a child it left behind).</summary>
    private static readonly TimeSpan PipeGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long to wait for a killed tree to go and its pipes to close.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="executable"/> and returns how it ended; throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.</summary>
    public static async Task<ProviderRun> RunAsync(
        string executable,
        IReadOnlyDictionary<string, string> environment,
        byte[]? stdin,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        start.Environment.Clear();
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return ProviderRun.NotStarted(e.Message);
        }

        var started = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);

        var stdoutSink = new OutputSink(MaxStdoutBytes);
        var stderrSink = new OutputSink(MaxStderrBytes);
        var stdout = DrainAsync(process.StandardOutput.BaseStream, stdoutSink);
        var stderr = DrainAsync(process.StandardError.BaseStream, stderrSink);
        var fed = FeedAsync(process.StandardInput.BaseStream, stdin);
        try
        {
            await process.WaitForExitAsync(deadline.Token);

            // The pipes close when every holder exits. A provider that started a background child without
            // redirecting its output has still answered: after a short grace we take what it printed.
            using var drain = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            drain.CancelAfter(PipeGrace);
            try
            {
                await Task.WhenAll(stdout, stderr, fed).WaitAsync(drain.Token);
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // A descendant holds the pipes; the exit code and the output so far are the answer.
            }
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await Settle(process, stdout, stderr, fed);
            cancellationToken.ThrowIfCancellationRequested();
            return ProviderRun.Expired(started.Elapsed, stdoutSink.Snapshot(), stderrSink.Snapshot());
        }

        return ProviderRun.Exited(process.ExitCode, started.Elapsed, stdoutSink.Snapshot(), stderrSink.Snapshot());
    }

    private static async Task FeedAsync(Stream input, byte[]? data)
    {
        try
        {
            if (data is { Length: > 0 })
                await input.WriteAsync(data);
        }
        catch (IOException)
        {
            // The provider exited or closed stdin without reading it all: its exit code tells the story.
        }
        finally
        {
            try
            {
                await input.DisposeAsync();
            }
            catch (IOException)
            {
                // Same as above: a broken pipe on close is not our failure to report.
            }
        }
    }

    private static async Task DrainAsync(Stream stream, OutputSink sink)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
                sink.Append(buffer.AsSpan(0, read));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Our end was closed after we stopped waiting for a descendant that kept the pipe open.
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Gone between the check and the signal.
        }
    }

    private static async Task Settle(Process process, Task stdout, Task stderr, Task fed)
    {
        using var grace = new CancellationTokenSource(KillGrace);
        try
        {
            await process.WaitForExitAsync(grace.Token);
            await Task.WhenAll(stdout, stderr, fed).WaitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            // A grandchild that escaped the tree may keep a pipe open; we report what we have.
        }
    }

    /// <summary>Keeps the first bytes of one output stream; read while the drain may still be appending.</summary>
    private sealed class OutputSink(int limit)
    {
        private readonly Lock gate = new();
        private readonly ArrayBufferWriter<byte> kept = new();

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (gate)
            {
                var room = limit - kept.WrittenCount;
                if (room > 0)
                    kept.Write(data[..Math.Min(room, data.Length)]);
            }
        }

        public byte[] Snapshot()
        {
            lock (gate)
                return kept.WrittenSpan.ToArray();
        }
    }
}

/// <summary>How one provider run ended: exited (code, output), expired (killed at the timeout) or not started.</summary>
public sealed record ProviderRun(ProviderRunOutcome Outcome, int ExitCode, TimeSpan Elapsed, byte[] Stdout, byte[] Stderr, string StartError)
{
    /// <summary>The process exited by itself.</summary>
    public static ProviderRun Exited(int exitCode, TimeSpan elapsed, byte[] stdout, byte[] stderr) =>
        new(ProviderRunOutcome.Exited, exitCode, elapsed, stdout, stderr, string.Empty);

    /// <summary>The process ran past the timeout and was killed with its tree.</summary>
    public static ProviderRun Expired(TimeSpan elapsed, byte[] stdout, byte[] stderr) =>
        new(ProviderRunOutcome.TimedOut, -1, elapsed, stdout, stderr, string.Empty);

    /// <summary>The executable could not be started.</summary>
    public static ProviderRun NotStarted(string error) =>
        new(ProviderRunOutcome.NotStarted, -1, TimeSpan.Zero, [], [], error);
}

/// <summary>The three ways a provider run ends.</summary>
public enum ProviderRunOutcome
{
    /// <summary>Exited by itself.</summary>
    Exited,

    /// <summary>Killed at the timeout.</summary>
    TimedOut,

    /// <summary>Never started.</summary>
    NotStarted,
}
