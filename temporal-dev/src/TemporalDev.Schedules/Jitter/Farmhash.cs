using System.Buffers.Binary;
using System.Numerics;

namespace TemporalDev.Schedules.Jitter;

/// <summary>
/// FarmHash Fingerprint32 (the "mk" 32-bit variant), which the real server hashes jitter seeds with,
/// so a schedule's jittered times match the real server's to the millisecond.
/// </summary>
public static class Farmhash
{
    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;

    public static uint Fingerprint32(ReadOnlySpan<byte> s)
    {
        var len = s.Length;
        if (len <= 24)
        {
            if (len <= 12)
            {
                return len <= 4 ? Len0To4(s, 0) : Len5To12(s, 0);
            }
            return Len13To24(s, 0);
        }

        var h = (uint)len;
        var g = C1 * (uint)len;
        var f = g;
        var a0 = Ror(Fetch(s, len - 4) * C1, 17) * C2;
        var a1 = Ror(Fetch(s, len - 8) * C1, 17) * C2;
        var a2 = Ror(Fetch(s, len - 16) * C1, 17) * C2;
        var a3 = Ror(Fetch(s, len - 12) * C1, 17) * C2;
        var a4 = Ror(Fetch(s, len - 20) * C1, 17) * C2;
        h ^= a0;
        h = Ror(h, 19);
        h = (h * 5) + 0xe6546b64;
        h ^= a2;
        h = Ror(h, 19);
        h = (h * 5) + 0xe6546b64;
        g ^= a1;
        g = Ror(g, 19);
        g = (g * 5) + 0xe6546b64;
        g ^= a3;
        g = Ror(g, 19);
        g = (g * 5) + 0xe6546b64;
        f += a4;
        f = Ror(f, 19) + 113;
        while (s.Length > 20)
        {
            var a = Fetch(s, 0);
            var b = Fetch(s, 4);
            var c = Fetch(s, 8);
            var d = Fetch(s, 12);
            var e = Fetch(s, 16);
            h += a;
            g += b;
            f += c;
            h = Mur(d, h) + e;
            g = Mur(c, g) + a;
            f = Mur(b + (e * C1), f) + d;
            f += g;
            g += f;
            s = s[20..];
        }
        g = Ror(g, 11) * C1;
        g = Ror(g, 17) * C1;
        f = Ror(f, 11) * C1;
        f = Ror(f, 17) * C1;
        h = Ror(h + g, 19);
        h = (h * 5) + 0xe6546b64;
        h = Ror(h, 17) * C1;
        h = Ror(h + f, 19);
        h = (h * 5) + 0xe6546b64;
        h = Ror(h, 17) * C1;
        return h;
    }

    private static uint Len0To4(ReadOnlySpan<byte> s, uint seed)
    {
        var b = seed;
        var c = 9u;
        foreach (var v in s)
        {
            b = (b * C1) + (uint)(sbyte)v;
            c ^= b;
        }
        return Fmix(Mur(b, Mur((uint)s.Length, c)));
    }

    private static uint Len5To12(ReadOnlySpan<byte> s, uint seed)
    {
        var len = s.Length;
        var a = (uint)len;
        var b = (uint)len * 5;
        var c = 9u;
        var d = b + seed;
        a += Fetch(s, 0);
        b += Fetch(s, len - 4);
        c += Fetch(s, (len >> 1) & 4);
        return Fmix(seed ^ Mur(c, Mur(b, Mur(a, d))));
    }

    private static uint Len13To24(ReadOnlySpan<byte> s, uint seed)
    {
        var len = s.Length;
        var a = Fetch(s, -4 + (len >> 1));
        var b = Fetch(s, 4);
        var c = Fetch(s, len - 8);
        var d = Fetch(s, len >> 1);
        var e = Fetch(s, 0);
        var f = Fetch(s, len - 4);
        var h = (d * C1) + (uint)len + seed;
        a = Ror(a, 12) + f;
        h = Mur(c, h) + a;
        a = Ror(a, 3) + c;
        h = Mur(e, h) + a;
        a = Ror(a + f, 12) + d;
        h = Mur(b ^ seed, h) + a;
        return Fmix(h);
    }

    private static uint Fetch(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(at, 4));

    private static uint Ror(uint v, int by) => BitOperations.RotateRight(v, by);

    private static uint Fmix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    private static uint Mur(uint a, uint h)
    {
        a *= C1;
        a = Ror(a, 17);
        a *= C2;
        h ^= a;
        h = Ror(h, 19);
        return (h * 5) + 0xe6546b64;
    }
}
