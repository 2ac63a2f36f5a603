using System.Globalization;

namespace Lifecycle.ProcessProvider;

/// <summary>
/// A process identified by pid and start time (from /proc), so a recycled pid is never mistaken for ours; it leads
/// its own process group (started under setsid), which is what gets signalled.
/// </summary>
internal readonly record struct LocalProcess(int Pid, long StartTime)
{
    /// <summary>The process as /proc sees it now, or null when there is no such pid.</summary>
    public static LocalProcess? Find(int pid) =>
        ReadStat(pid) is { } stat ? new LocalProcess(pid, stat.StartTime) : null;

    /// <summary>True while the process runs (a zombie or a different process under the same pid is not ours).</summary>
    public bool IsAlive => Pid > 0 && ReadStat(Pid) is { } stat && stat.StartTime == StartTime && stat.State is not ('Z' or 'X' or 'x');

    /// <summary>Stops the group: SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL; returns once the leader is gone.</summary>
    public async Task StopGroupAsync(TimeSpan grace)
    {
        if (!IsAlive)
            return;
        Signal(NativeMethods.SigTerm);
        if (await WaitGoneAsync(grace))
            return;
        Signal(NativeMethods.SigKill);
        if (!await WaitGoneAsync(TimeSpan.FromSeconds(10)))
            throw new InvalidOperationException($"process {Pid} did not exit after SIGKILL");
    }

    private void Signal(int signal)
    {
        // Right after launch the leader may not have called setsid yet; then only the pid itself can be signalled.
        if (NativeMethods.Kill(-Pid, signal) != 0)
            _ = NativeMethods.Kill(Pid, signal);
    }

    private async Task<bool> WaitGoneAsync(TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (IsAlive)
        {
            if (DateTime.UtcNow >= until)
                return false;
            await Task.Delay(20);
        }

        return true;
    }

    private static (char State, long StartTime)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0)
            return null;
        var fields = text[(close + 2)..].Split(' ');

        // After the comm: [0] is field 3 (state); starttime is field 22, so index 19.
        if (fields.Length < 20 || fields[0].Length == 0)
            return null;
        return (fields[0][0], long.Parse(fields[19], CultureInfo.InvariantCulture));
    }
}
