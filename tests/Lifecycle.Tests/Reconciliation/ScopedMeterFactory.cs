using System.Diagnostics.Metrics;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// A meter factory of one test's own: its meters carry the factory as scope, so a listener can take this test's
/// measurements only (other tests' <c>PrebuildMetrics</c> publish under the same meter name).
/// </summary>
internal sealed class ScopedMeterFactory : IMeterFactory
{
    private readonly List<Meter> meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in meters)
            meter.Dispose();
    }
}
