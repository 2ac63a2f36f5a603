using System.Buffers.Binary;
using System.Text;

namespace TemporalDev.Schedules.Jitter;

/// <summary>
/// Deterministic jitter as the real server computes it: a FarmHash of the nominal time (in Go's
/// binary time encoding) and a seed, scaled into [0, maxJitter) at millisecond resolution.
/// </summary>
public static class ScheduleJitter
{
    // Seconds from 0001-01-01T00:00:00Z (Go's internal epoch) to the Unix epoch.
    private const long GoEpochToUnixSeconds = 62135596800;

    /// <summary>The seed the real server uses for a schedule: "&lt;namespace id&gt;-&lt;schedule id&gt;".</summary>
    public static string SeedFor(string namespaceId, string scheduleId) => $"{namespaceId}-{scheduleId}";

    /// <summary>Returns the nominal time plus its jitter (nominal must be whole seconds, UTC).</summary>
    public static DateTimeOffset Apply(string seed, DateTimeOffset nominal, TimeSpan maxJitter)
    {
        if (maxJitter <= TimeSpan.Zero)
        {
            return nominal;
        }
        var seedBytes = Encoding.UTF8.GetBytes(seed);
        var buffer = new byte[15 + seedBytes.Length];
        // Go's time.MarshalBinary (version 1) of a UTC time: seconds since year 1, nanoseconds, offset -1.
        buffer[0] = 1;
        var unixSeconds = nominal.ToUnixTimeSeconds();
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(1, 8), unixSeconds + GoEpochToUnixSeconds);
        var nanos = (int)((nominal.UtcTicks % TimeSpan.TicksPerSecond) * 100);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(9, 4), nanos);
        BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(13, 2), -1);
        seedBytes.CopyTo(buffer, 15);

        ulong fingerprint = Farmhash.Fingerprint32(buffer);
        var ms = Math.Min((ulong)(maxJitter.Ticks / TimeSpan.TicksPerMillisecond), uint.MaxValue);
        var jitterMs = (long)((fingerprint * ms) >> 32);
        return nominal.AddMilliseconds(jitterMs);
    }
}
