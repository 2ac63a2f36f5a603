using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Temporalio.Testing;

namespace Lifecycle.Tests.Instances;

/// <summary>Builds the real <see cref="InstanceActivities"/> over a test database and the given providers.</summary>
internal static class InstanceActivityKit
{
    public const string Secret = "test-secret-test-secret-test-secret-0123";

    public static InstanceActivityOptions Options(string callbackBaseUrl = "http://127.0.0.1:9") => new()
    {
        ControllerId = "controller-instances-tests",
        CallbackBaseUrl = callbackBaseUrl,
        InstanceTokenSecret = Secret,
        HeartbeatInterval = TimeSpan.FromSeconds(1),
    };

    public static InstanceActivities Activities(NpgsqlDataSource dataSource, IEnumerable<ProviderDefinition> providers, InstanceActivityOptions? options = null)
    {
        var settings = options ?? Options();
        return new InstanceActivities(
            new InstanceStore(dataSource),
            new ProviderCatalog(providers, settings.ControllerId),
            Microsoft.Extensions.Options.Options.Create(settings),
            NullLogger<InstanceActivities>.Instance);
    }

    /// <summary>An activity environment shaped like the Instance workflow's calls (its timeouts, its workflow id).</summary>
    public static ActivityEnvironment Environment(Action<object?[]>? heartbeater = null) => new()
    {
        Info = ActivityEnvironment.DefaultInfo with
        {
            StartToCloseTimeout = TimeSpan.FromMinutes(20),
            HeartbeatTimeout = TimeSpan.FromSeconds(30),
            WorkflowId = "instance:activity-test",
        },
        Heartbeater = heartbeater ?? (_ => { }),
    };

    /// <summary>The store alone (for transition tests).</summary>
    public static InstanceStore Store(NpgsqlDataSource dataSource)
    {
        StoreDataSource.ConfigureDapper();
        return new InstanceStore(dataSource);
    }
}
