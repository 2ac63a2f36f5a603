using System.Collections.Frozen;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>
/// Claim outcomes of one preset over the trailing windows a target expression reads (B16), counted by the snapshot at
/// its read: a claim is a prebuild of the preset handed to a user; a miss is a claim request for the preset that found
/// no claimable prebuild and made a fresh workspace. A window of w minutes holds events at or after <c>read − w</c>.
/// </summary>
public sealed record PresetClaimWindows
{
    required public Guid PresetId { get; init; }

    public int Claims5m { get; init; }

    public int Claims10m { get; init; }

    public int Claims30m { get; init; }

    public int Claims60m { get; init; }

    public int Claims120m { get; init; }

    public int Misses5m { get; init; }

    public int Misses10m { get; init; }

    public int Misses30m { get; init; }

    public int Misses60m { get; init; }

    public int Misses120m { get; init; }
}

/// <summary>The values a target expression is evaluated with: the preset's counts at the pass, its claim windows and the local clock.</summary>
public sealed record TargetVariables
{
    /// <summary>The window lengths of the <c>claims_</c>, <c>misses_</c> and <c>claim_rate_</c> variables, in minutes.</summary>
    public static readonly IReadOnlyList<int> WindowMinutes = [5, 10, 30, 60, 120];

    // Name → value; one table, so the parser's "unknown variable" and the evaluator cannot disagree.
    private static readonly FrozenDictionary<string, Func<TargetVariables, ExpressionValue>> Table = BuildTable();

    /// <summary>The target the schedules (or the base count) give at this instant (B14).</summary>
    public int ScheduledTarget { get; init; }

    /// <summary>Running prebuilds, expired or not.</summary>
    public int Running { get; init; }

    /// <summary>Running, not expired and ready: claimable now.</summary>
    public int Eligible { get; init; }

    public int Starting { get; init; }

    public int Stopping { get; init; }

    public int Deleting { get; init; }

    public int Expired { get; init; }

    /// <summary>Claims and misses over the trailing windows; none when null.</summary>
    public PresetClaimWindows? Claims { get; init; }

    /// <summary>The hour of the day, 0–23, in the preset's time zone.</summary>
    public int Hour { get; init; }

    /// <summary>The day of the week, 0 = Sunday … 6 = Saturday, in the preset's time zone.</summary>
    public int Weekday { get; init; }

    /// <summary>Every variable name an expression may use.</summary>
    public static IEnumerable<string> Names => Table.Keys;

    internal static bool TryGet(string name, out Func<TargetVariables, ExpressionValue> read) =>
        Table.TryGetValue(name, out read!);

    private static FrozenDictionary<string, Func<TargetVariables, ExpressionValue>> BuildTable()
    {
        var table = new Dictionary<string, Func<TargetVariables, ExpressionValue>>(StringComparer.Ordinal)
        {
            ["scheduled_target"] = v => ExpressionValue.Of(v.ScheduledTarget),
            ["running"] = v => ExpressionValue.Of(v.Running),
            ["eligible"] = v => ExpressionValue.Of(v.Eligible),
            ["starting"] = v => ExpressionValue.Of(v.Starting),
            ["stopping"] = v => ExpressionValue.Of(v.Stopping),
            ["deleting"] = v => ExpressionValue.Of(v.Deleting),
            ["expired"] = v => ExpressionValue.Of(v.Expired),
            ["hour"] = v => ExpressionValue.Of(v.Hour),
            ["weekday"] = v => ExpressionValue.Of(v.Weekday),
        };
        foreach (var minutes in WindowMinutes)
        {
            var window = minutes;
            table[$"claims_{window}m"] = v => ExpressionValue.Of(ClaimsIn(v.Claims, window));
            table[$"misses_{window}m"] = v => ExpressionValue.Of(MissesIn(v.Claims, window));
            table[$"claim_rate_{window}m"] = v => ExpressionValue.Of((double)ClaimsIn(v.Claims, window) / window);
        }
        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static int ClaimsIn(PresetClaimWindows? w, int minutes) => w is null ? 0 : minutes switch
    {
        5 => w.Claims5m,
        10 => w.Claims10m,
        30 => w.Claims30m,
        60 => w.Claims60m,
        _ => w.Claims120m,
    };

    private static int MissesIn(PresetClaimWindows? w, int minutes) => w is null ? 0 : minutes switch
    {
        5 => w.Misses5m,
        10 => w.Misses10m,
        30 => w.Misses30m,
        60 => w.Misses60m,
        _ => w.Misses120m,
    };
}
