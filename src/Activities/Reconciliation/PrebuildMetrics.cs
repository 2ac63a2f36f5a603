using System.Diagnostics.Metrics;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>Labels of a preset's metrics, as Coder exports them.</summary>
public sealed record PresetLabels(string TemplateName, string PresetName, string OrganizationName)
{
    internal KeyValuePair<string, object?>[] Tags =>
    [
        new("template_name", TemplateName),
        new("preset_name", PresetName),
        new("organization_name", OrganizationName),
    ];
}

/// <summary>A preset's gauges at the last snapshot (active presets of non-deleted templates only, as Coder).</summary>
public sealed record PresetGauges(PresetLabels Labels, int Desired, int Running, int Eligible, bool HardLimited);

/// <summary>A preset's lifetime totals, derived from the first builds of its prebuilds (Coder's counters).</summary>
public sealed record PresetTotals(PresetLabels Labels, long Created, long Failed, long Claimed);

/// <summary>
/// The prebuild domain metrics, named as Coder's <c>coderd_prebuilt_workspaces_*</c>. Counters of created, failed and
/// claimed prebuilds are read from the store at each snapshot (so every replica reports the same totals, whoever made
/// the change); gauges hold the last snapshot's state. Recorded only by activities, never by workflow code.
/// </summary>
public sealed class PrebuildMetrics : IDisposable
{
    /// <summary>The meter every Lifecycle domain metric belongs to.</summary>
    public const string MeterName = "Lifecycle";

    private const string Prefix = "coderd_prebuilt_workspaces_";

    private readonly Meter meter;
    private readonly bool ownsMeter;
    private readonly Histogram<double> passDuration;
    private volatile MetricsState state = MetricsState.Empty;

    /// <summary>Creates the instruments on the host's meter factory, or on a meter of its own without one.</summary>
    public PrebuildMetrics(IMeterFactory? meterFactory = null)
    {
        ownsMeter = meterFactory is null;
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        meter.CreateObservableCounter(Prefix + "created_total", () => Totals(t => t.Created), description: "Prebuilt workspaces created (first builds started by the prebuilds user).");
        meter.CreateObservableCounter(Prefix + "failed_total", () => Totals(t => t.Failed), description: "Prebuilt workspaces whose creation failed.");
        meter.CreateObservableCounter(Prefix + "claimed_total", () => Totals(t => t.Claimed), description: "Prebuilt workspaces claimed by users.");
        // Coder counts claims whose claim build's plan replaced resources (B32). A claim here starts the same machine
        // through the provider (the GARM contract has no plan), so nothing is ever replaced: declared, never added to.
        meter.CreateCounter<long>(Prefix + "resource_replacements_total", description: "Claims whose first build replaced resources of the prebuild (always 0 here: a claim never rebuilds the machine).");
        meter.CreateObservableGauge(Prefix + "desired", () => Gauges(g => g.Desired), description: "Prebuilds a preset wants now.");
        meter.CreateObservableGauge(Prefix + "running", () => Gauges(g => g.Running), description: "Running prebuilds of a preset, expired or not.");
        meter.CreateObservableGauge(Prefix + "eligible", () => Gauges(g => g.Eligible), description: "Ready, unexpired prebuilds a user can claim.");
        meter.CreateObservableGauge(
            Prefix + "preset_hard_limited",
            () => state.Presets.Where(p => p.HardLimited).Select(p => new Measurement<int>(1, p.Labels.Tags)),
            description: "1 for a preset whose creates are stopped by the failure limit.");
        meter.CreateObservableGauge(Prefix + "reconciliation_paused", () => state.Paused ? 1 : 0, description: "1 while an operator paused reconciliation.");
        meter.CreateObservableGauge(Prefix + "metrics_last_updated", () => state.UpdatedAt.ToUnixTimeSeconds(), unit: "s", description: "When the prebuild metrics were last read from the store.");
        passDuration = meter.CreateHistogram<double>("coderd_prebuilds_reconciliation_duration_seconds", unit: "s", description: "Duration of one reconciliation pass.");
    }

    /// <summary>Replaces the gauges and totals with a snapshot's.</summary>
    public void Update(bool paused, IReadOnlyList<PresetGauges> presets, IReadOnlyList<PresetTotals> totals, DateTimeOffset at) =>
        state = new MetricsState(paused, presets, totals, at);

    /// <summary>Counts a pass; the duration is the workflow's, from start to report.</summary>
    public void RecordPass(TimeSpan duration, bool paused) =>
        passDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("paused", paused));

    public void Dispose()
    {
        if (ownsMeter)
        {
            meter.Dispose();
        }
    }

    private IEnumerable<Measurement<long>> Totals(Func<PresetTotals, long> value) =>
        state.Totals.Select(t => new Measurement<long>(value(t), t.Labels.Tags));

    private IEnumerable<Measurement<int>> Gauges(Func<PresetGauges, int> value) =>
        state.Presets.Select(p => new Measurement<int>(value(p), p.Labels.Tags));

    private sealed record MetricsState(bool Paused, IReadOnlyList<PresetGauges> Presets, IReadOnlyList<PresetTotals> Totals, DateTimeOffset UpdatedAt)
    {
        public static readonly MetricsState Empty = new(false, [], [], DateTimeOffset.UnixEpoch);
    }
}
