using Lifecycle.Testing.Temporal;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Testing;
using Xunit;

namespace TemporalDev.Tests.Visibility;

/// <summary>
/// A dev server of its own for the visibility tests, launched the way the SDK launches the temporal CLI with
/// <c>--search-attribute Name=Type</c> flags for one attribute of every type, so registry changes made by these tests
/// stay away from the shared servers.
/// </summary>
public sealed class VisibilityFixture : IAsyncLifetime
{
    public static readonly SearchAttributeKey<string> Region = SearchAttributeKey.CreateKeyword("Region");
    public static readonly SearchAttributeKey<long> Rank = SearchAttributeKey.CreateLong("Rank");
    public static readonly SearchAttributeKey<double> Score = SearchAttributeKey.CreateDouble("Score");
    public static readonly SearchAttributeKey<bool> Urgent = SearchAttributeKey.CreateBool("Urgent");
    public static readonly SearchAttributeKey<DateTimeOffset> Due = SearchAttributeKey.CreateDateTimeOffset("Due");
    public static readonly SearchAttributeKey<IReadOnlyCollection<string>> Tags = SearchAttributeKey.CreateKeywordList("Tags");
    public static readonly SearchAttributeKey<string> Notes = SearchAttributeKey.CreateText("Notes");

    private WorkflowEnvironment? env;

    public static IReadOnlyList<SearchAttributeKey> LaunchAttributes { get; } = [Region, Rank, Score, Urgent, Due, Tags, Notes];

    public ITemporalClient Client => (env ?? throw new InvalidOperationException("the visibility fixture is not initialised")).Client;

    public async Task InitializeAsync()
    {
        await TemporalDevLauncher.BuildAsync();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                env = await WorkflowEnvironment.StartLocalAsync(new()
                {
                    DevServerOptions = new() { ExistingPath = TemporalDevLauncher.Path },
                    SearchAttributes = LaunchAttributes,
                });
                return;
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("did not start", StringComparison.Ordinal))
            {
                // A launch starved of CPU by parallel test assemblies misses the SDK's 5 s readiness window.
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (env is not null) await env.ShutdownAsync();
    }
}

/// <summary>Tests sharing the visibility dev server.</summary>
[CollectionDefinition(Name)]
public sealed class VisibilityCollection : ICollectionFixture<VisibilityFixture>
{
    public const string Name = "temporal-dev visibility";
}
