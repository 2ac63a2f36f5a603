namespace Instances.Bench;

/// <summary>The benchmark process's memory after a full collection: managed heap and resident set (managed + native).</summary>
internal readonly record struct Memory(long ManagedBytes, long RssBytes)
{
    public static Memory Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        var rss = File.ReadLines("/proc/self/status")
            .Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024)
            .First();
        return new Memory(managed, rss);
    }
}
