using System.Runtime.CompilerServices;
using Lifecycle.Workflows.Instances;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Client;
using Temporalio.Common;
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

    // Six attempts (30 s of pauses) were all lost at load 30-39 (six helpers' builds and tests on 2 cores): the SDK's
    // 5 s start window is fixed, so only waiting for a quieter moment helps. Ten attempts pause 90 s in all.
    private const int LaunchAttempts = 10;

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

    /// <summary>Gets flags added to the launched server's command line (e.g. <c>--dynamic-config-value key=value</c>).</summary>
    protected virtual IReadOnlyList<string> ServerArgs => [];

    /// <summary>Makes a task queue name no other test uses.</summary>
    public string NewTaskQueue([CallerMemberName] string test = "") => $"{test}-{Guid.NewGuid():N}";

    /// <summary>Makes a workflow id no other test uses.</summary>
    public string NewWorkflowId([CallerMemberName] string test = "") => $"{test}-{Guid.NewGuid():N}";

    private static readonly SemaphoreSlim Launches = new(1, 1);

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

        // The SDK gives a launched server 5 s to answer. Test classes start their fixtures in parallel on a 2-core
        // machine, so launches take turns, and a launch that lost the race for CPU is tried again.
        await Launches.WaitAsync();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    env = TimeSkipping
                        ? await WorkflowEnvironment.StartTimeSkippingAsync(new() { TestServer = new() { ExistingPath = TemporalDevLauncher.Path, ExtraArgs = ServerArgs } })
                        : await WorkflowEnvironment.StartLocalAsync(new() { DevServerOptions = new() { ExistingPath = TemporalDevLauncher.Path, ExtraArgs = ServerArgs } });
                    await RegisterSearchAttributesAsync();
                    return;
                }
                catch (InvalidOperationException e) when (attempt < LaunchAttempts && e.Message.Contains("did not start", StringComparison.Ordinal))
                {
                    await Console.Error.WriteLineAsync($"temporal-dev launch attempt {attempt} failed, retrying: {e.Message}");

                    // A burst of CPU load outlasts back-to-back attempts; give it time to pass.
                    await Task.Delay(TimeSpan.FromSeconds(2 * attempt));
                }
            }
        }
        finally
        {
            Launches.Release();
        }
    }

    /// <summary>Gets the product's search attributes, registered on every launched server as the worker's embedded server does.</summary>
    public static IReadOnlyList<SearchAttributeKey> ProductSearchAttributes { get; } =
        [InstanceSearchAttributes.State, InstanceSearchAttributes.PresetId, InstanceSearchAttributes.TemplateId];

    // temporal-dev, like a real server, refuses attributes nobody registered; the test-server launch form takes no flags.
    private async Task RegisterSearchAttributesAsync()
    {
        var request = new AddSearchAttributesRequest { Namespace = Client.Options.Namespace };
        foreach (var key in ProductSearchAttributes) request.SearchAttributes[key.Name] = key.ValueType;
        await Client.Connection.OperatorService.AddSearchAttributesAsync(request);
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
