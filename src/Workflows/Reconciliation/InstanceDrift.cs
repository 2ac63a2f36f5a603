using Lifecycle.Workflows.Instances;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>
/// The drift between what a provider has and what the store says (spec instances.md P4, GARM's orphan cleanup), as a
/// pure decision. Machines are matched to rows by name, the provider's idempotency key.
/// </summary>
public static class InstanceDrift
{
    /// <summary>
    /// What to repair: machines no live row names (orphans: delete them at the provider) and settled <c>running</c>
    /// rows of a pool that was listed whose machine the listing lacks (lost: mark them and delete their instance).
    /// Both in name order, at most <paramref name="maxRepairs"/> of each; the rest wait for the next sweep.
    /// </summary>
    public static DriftPlan Decide(DriftSnapshot snapshot, int maxRepairs)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRepairs, 1);
        var known = snapshot.Rows.Where(r => !r.Deleted).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var listed = snapshot.PoolsListed.ToHashSet();
        var present = snapshot.Machines.Select(m => (m.PresetId, m.Name)).ToHashSet();

        var orphans = snapshot.Machines
            .Where(m => listed.Contains(m.PresetId) && !known.Contains(m.Name))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        var lost = snapshot.Rows
            .Where(r => !r.Deleted && r.Status == InstanceStatus.Running && r.Settled && listed.Contains(r.PresetId) && !present.Contains((r.PresetId, r.Name)))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        return new DriftPlan(
            snapshot.Provider,
            [.. orphans.Take(maxRepairs)],
            [.. lost.Take(maxRepairs)],
            OrphansDeferred: Math.Max(0, orphans.Count - maxRepairs),
            LostDeferred: Math.Max(0, lost.Count - maxRepairs));
    }

    /// <summary>
    /// The part of <paramref name="snapshot"/> the decision acts on (its orphans and lost rows, and the pools listed),
    /// so the activity's answer grows with the drift, not with the fleet. Deciding on the trimmed snapshot gives the
    /// same plan as on the whole one.
    /// </summary>
    public static DriftSnapshot Trim(DriftSnapshot snapshot)
    {
        var plan = Decide(snapshot, int.MaxValue);
        return snapshot with { Rows = plan.Lost, Machines = plan.Orphans };
    }
}

/// <summary>One provider's machines and the store's rows for the same pools, read store first (see the activity).</summary>
/// <param name="Provider">The configured provider.</param>
/// <param name="Rows">Store rows of the provider's pools.</param>
/// <param name="Machines">What the provider listed, per pool.</param>
/// <param name="PoolsListed">Pools whose listing succeeded; a pool whose listing failed is never judged.</param>
/// <param name="ListFaults">Why a pool's listing failed, per failure.</param>
public sealed record DriftSnapshot(
    string Provider,
    IReadOnlyList<DriftRow> Rows,
    IReadOnlyList<DriftMachine> Machines,
    IReadOnlyList<Guid> PoolsListed,
    IReadOnlyList<string> ListFaults);

/// <summary>A store row as drift sees it.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Name">Its machine name.</param>
/// <param name="PresetId">Its pool.</param>
/// <param name="Status">The stored status.</param>
/// <param name="Deleted">The row is deleted (its machine, if any is left, is an orphan).</param>
/// <param name="Settled">Unchanged for longer than the grace period, so a listing that lacks it is not a race.</param>
public sealed record DriftRow(Guid InstanceId, string Name, Guid PresetId, InstanceStatus Status, bool Deleted, bool Settled);

/// <summary>A machine a provider listed for a pool.</summary>
public sealed record DriftMachine(string Name, string ProviderId, Guid PresetId);

/// <summary>The repairs of one sweep for one provider.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Orphans">Machines to delete at the provider.</param>
/// <param name="Lost">Rows to mark <c>error</c> and whose Instance workflow to tell <c>delete</c>.</param>
/// <param name="OrphansDeferred">Orphans left for the next sweep (over the bound).</param>
/// <param name="LostDeferred">Lost rows left for the next sweep.</param>
public sealed record DriftPlan(string Provider, IReadOnlyList<DriftMachine> Orphans, IReadOnlyList<DriftRow> Lost, int OrphansDeferred, int LostDeferred)
{
    /// <summary>True when there is something to repair.</summary>
    public bool HasWork => Orphans.Count > 0 || Lost.Count > 0;
}

/// <summary>What a repair did: orphans deleted, lost rows marked (and their workflows signalled), and what was skipped.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="OrphansDeleted">Orphan machines deleted (or already gone).</param>
/// <param name="OrphansSkipped">Machines a row claimed by the time of the repair: not orphans after all.</param>
/// <param name="LostMarked">Rows marked error and signalled.</param>
/// <param name="LostSkipped">Rows no longer running by the time of the repair.</param>
/// <param name="Faults">Repairs that failed, each with the provider's or store's message.</param>
public sealed record DriftRepairResult(string Provider, int OrphansDeleted, int OrphansSkipped, int LostMarked, int LostSkipped, IReadOnlyList<string> Faults);

/// <summary>What a sweep is run with.</summary>
/// <param name="LostGrace">How long a row must be unchanged before a listing that lacks its machine counts (GARM: 5 min).</param>
/// <param name="MaxRepairsPerProvider">At most this many orphans and this many lost rows per provider per sweep.</param>
public sealed record DriftSweepInput(TimeSpan LostGrace, int MaxRepairsPerProvider = DriftSweepInput.DefaultMaxRepairs)
{
    /// <summary>The default bound on repairs of each kind per provider per sweep.</summary>
    public const int DefaultMaxRepairs = 100;

    /// <summary>GARM's grace for a running instance: 5 minutes since its last update.</summary>
    public static readonly TimeSpan DefaultLostGrace = TimeSpan.FromMinutes(5);
}

/// <summary>What one sweep found and did, per provider.</summary>
public sealed record DriftSweepResult(IReadOnlyList<DriftRepairResult> Providers, IReadOnlyList<string> ListFaults);

/// <summary>A drift read for one provider.</summary>
public sealed record DriftReadRequest(string Provider, TimeSpan LostGrace);
