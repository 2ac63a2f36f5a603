using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lifecycle.Worker.Telemetry;

/// <summary>
/// The names our spans and metrics are published under. Code in any project may create its own
/// <c>new ActivitySource("Lifecycle")</c> or <c>new Meter("Lifecycle")</c>: the pipeline listens by name.
/// </summary>
public static class LifecycleTelemetry
{
    /// <summary>The ActivitySource and Meter name of Lifecycle's own telemetry.</summary>
    public const string Name = "Lifecycle";

    /// <summary>The service name reported to collectors (OTEL_SERVICE_NAME overrides it).</summary>
    public const string ServiceName = "lifecycle";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);
}
