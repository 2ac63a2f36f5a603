using Lifecycle.Testing.Temporal;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Tests sharing one time-skipping temporal-dev server.</summary>
[CollectionDefinition(Name)]
public sealed class TimeSkippingCollection : ICollectionFixture<TemporalFixture>
{
    public const string Name = "temporal-dev time skipping";
}

/// <summary>Tests sharing one temporal-dev dev server (wall-clock time).</summary>
[CollectionDefinition(Name)]
public sealed class WallClockCollection : ICollectionFixture<WallClockTemporalFixture>
{
    public const string Name = "temporal-dev wall clock";
}
