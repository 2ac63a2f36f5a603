using System.Diagnostics.Metrics;
using Temporalio.Runtime;

namespace Lifecycle.Worker.Temporal;

/// <summary>
/// Bridges the Temporal SDK's metrics (from its Rust core, through <see cref="TemporalRuntime"/>) into
/// System.Diagnostics.Metrics, so they leave through the same OpenTelemetry pipeline as ours (Prometheus /metrics,
/// OTLP). Durations arrive as milliseconds, as the SDK's default histogram format says.
/// </summary>
public sealed class TemporalMetricMeter(Meter meter) : ICustomMetricMeter
{
    /// <summary>The meter name the Temporal SDK's metrics are published under.</summary>
    public const string MeterName = "Lifecycle.Temporal";

    /// <summary>The process-wide meter the SDK's instruments are created on.</summary>
    public static readonly Meter Meter = new(MeterName);

    public ICustomMetricCounter<T> CreateCounter<T>(string name, string? unit, string? description)
        where T : struct => new CounterMetric<T>(meter.CreateCounter<T>(name, unit, description));

    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct => new HistogramMetric<T>(meter.CreateHistogram<T>(name, unit, description));

    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct => new GaugeMetric<T>(meter.CreateGauge<T>(name, unit, description));

    /// <summary>Tags are an immutable array of pairs; appending copies, so a shared parent set never changes.</summary>
    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags)
    {
        var parent = appendFrom as KeyValuePair<string, object?>[] ?? [];
        var merged = new KeyValuePair<string, object?>[parent.Length + tags.Count];
        parent.CopyTo(merged, 0);
        var i = parent.Length;
        foreach (var tag in tags)
        {
            merged[i++] = new KeyValuePair<string, object?>(tag.Key, tag.Value);
        }
        return merged;
    }

    private static ReadOnlySpan<KeyValuePair<string, object?>> Tags(object tags) => (KeyValuePair<string, object?>[])tags;

    private sealed class CounterMetric<T>(Counter<T> counter) : ICustomMetricCounter<T>
        where T : struct
    {
        public void Add(T value, object tags) => counter.Add(value, Tags(tags));
    }

    private sealed class HistogramMetric<T>(Histogram<T> histogram) : ICustomMetricHistogram<T>
        where T : struct
    {
        public void Record(T value, object tags) => histogram.Record(value, Tags(tags));
    }

    private sealed class GaugeMetric<T>(Gauge<T> gauge) : ICustomMetricGauge<T>
        where T : struct
    {
        public void Set(T value, object tags) => gauge.Record(value, Tags(tags));
    }
}
