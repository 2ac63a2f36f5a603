using System.Globalization;

namespace Instances.Bench;

/// <summary>
/// CPU time (user + system, seconds) of the parts this benchmark runs, from <c>/proc</c>: the bench process itself
/// (worker, activities and client), the provider processes it ran and reaped, temporal-dev (its child), and the
/// private PostgreSQL cluster (a daemon whose data folder is named after this process). A difference of two samples
/// says which part a phase's time went to.
/// </summary>
internal sealed record ProcessCpu(double Bench, double Providers, double TemporalDev, double Postgres)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux.

    public static ProcessCpu operator -(ProcessCpu a, ProcessCpu b) =>
        new(a.Bench - b.Bench, a.Providers - b.Providers, a.TemporalDev - b.TemporalDev, a.Postgres - b.Postgres);

    /// <summary>Samples the parts now; zeros where /proc cannot be read.</summary>
    public static ProcessCpu Sample()
    {
        var self = Environment.ProcessId;
        var all = new List<(int Pid, int Parent, double Own, double Reaped, string Command)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                double Field(int n) => double.Parse(fields[n - 3], CultureInfo.InvariantCulture) / TicksPerSecond;
                var command = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                all.Add((pid, int.Parse(fields[1], CultureInfo.InvariantCulture), Field(14) + Field(15), Field(16) + Field(17), command));
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        var children = all.ToLookup(p => p.Parent);
        double Tree(int pid) => all.Where(p => p.Pid == pid).Sum(p => p.Own + p.Reaped) + children[pid].Sum(c => Tree(c.Pid));
        var me = all.FirstOrDefault(p => p.Pid == self);
        var temporal = children[self].Where(c => c.Command.Contains("TemporalDev", StringComparison.Ordinal) || c.Command.Contains("temporal", StringComparison.Ordinal)).Sum(c => Tree(c.Pid));
        var live = children[self].Where(c => !c.Command.Contains("temporal", StringComparison.OrdinalIgnoreCase) && !c.Command.Contains("TemporalDev", StringComparison.Ordinal)).Sum(c => Tree(c.Pid));
        var cluster = $"lifecycle-pg-test-{self}";
        var postmasters = all.Where(p => p.Command.Contains(cluster, StringComparison.Ordinal) && !all.Any(q => q.Pid == p.Parent && q.Command.Contains(cluster, StringComparison.Ordinal)));
        return new ProcessCpu(me.Own, me.Reaped + live, temporal, postmasters.Sum(p => Tree(p.Pid)));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CPU s: bench process (worker + activities + client) {Bench:F1}, provider processes {Providers:F1}, temporal-dev {TemporalDev:F1}, PostgreSQL {Postgres:F1}");
}
