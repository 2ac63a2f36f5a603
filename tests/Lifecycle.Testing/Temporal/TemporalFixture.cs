using System.Runtime.CompilerServices;
using Temporalio.Client;
using Temporalio.Testing;
using Xunit;

namespace Lifecycle.Testing.Temporal;

/// <summary>
/// The Temporal environment every workflow test uses: a time-skipping temporal-dev test server launched through
/// the SDK, or the server named by <c>LIFECYCLE_TEST_TEMPORAL_ADDRESS</c> (then without time skipping).
/// </summary>
public class TemporalFixture : IAsyncLifetime
{
    /// <summary>The namespace variable read with <see cref="TestEnvironment.TemporalAddressVariable"/>.</summary>
    public const string NamespaceVariable = "LIFECYCLE_TEST_TEMPORAL_NAMESPACE";

    private WorkflowEnvironment? env;

    /// <summary>Gets the SDK's test environment.</summary>
    public WorkflowEnvironment Env => env ?? throw new InvalidOperationException("the Temporal fixture is not initialised");

    /// <summary>Gets the client connected to the server.</summary>
    public ITemporalClient Client => Env.Client;

    /// <summary>Gets a value indicating whether the server skips time (the temporal-dev test-server form).</summary>
    public bool SupportsTimeSkipping => Env.SupportsTimeSkipping;

    /// <summary>Gets a value indicating whether tests run against an external server.</summary>
    public bool External { get; private set; }

    /// <summary>Gets a value indicating whether to launch the time-skipping test server (true) or the dev server.</summary>
    protected virtual bool TimeSkipping => true;

    /// <summary>Makes a task queue name no other test uses.</summary>
    public string NewTaskQueue([CallerMemberName] string test = "") => $"{test}-{Guid.NewGuid():N}";

    /// <summary>Makes a workflow id no other test uses.</summary>
    public string NewWorkflowId([CallerMemberName] string test = "") => $"{test}-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        var address = Environment.GetEnvironmentVariable(TestEnvironment.TemporalAddressVariable);
        if (!string.IsNullOrEmpty(address))
        {
            External = true;
            var ns = Environment.GetEnvironmentVariable(NamespaceVariable);
            var client = await TemporalClient.ConnectAsync(new(address) { Namespace = string.IsNullOrEmpty(ns) ? "default" : ns });
            env = new WorkflowEnvironment(client);
            return;
        }

        await TemporalDevLauncher.BuildAsync();
        env = TimeSkipping
            ? await WorkflowEnvironment.StartTimeSkippingAsync(new() { TestServer = new() { ExistingPath = TemporalDevLauncher.Path } })
            : await WorkflowEnvironment.StartLocalAsync(new() { DevServerOptions = new() { ExistingPath = TemporalDevLauncher.Path } });
    }

    public async Task DisposeAsync()
    {
        if (env is not null) await env.ShutdownAsync();
    }
}

/// <summary>The same environment launched as the temporal CLI's dev server: wall-clock time, no skipping.</summary>
public sealed class WallClockTemporalFixture : TemporalFixture
{
    protected override bool TimeSkipping => false;
}
