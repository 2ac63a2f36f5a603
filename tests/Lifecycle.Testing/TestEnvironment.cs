namespace Lifecycle.Testing;

/// <summary>Environment variables the test fixtures read.</summary>
public static class TestEnvironment
{
    /// <summary>When set, workflow tests use this Temporal server instead of launching temporal-dev.</summary>
    public const string TemporalAddressVariable = "LIFECYCLE_TEST_TEMPORAL_ADDRESS";
}
