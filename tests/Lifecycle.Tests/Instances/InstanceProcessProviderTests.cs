using System.Runtime.Versioning;
using System.Text.Json;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Testing.Postgres;
using Lifecycle.Tests.Providers;
using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>The machine activities with the real built-in <c>process</c> provider: a real agent process per instance.</summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceProcessProviderTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"instances-process-{Guid.NewGuid():N}");
    private ReadyCallbackServer api = null!;
    private ExternalProvider provider = null!;
    private InstanceSeed seed = null!;
    private InstanceActivities activities = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "process-provider.json");
        await File.WriteAllTextAsync(config, """{"state_dir": "state", "stop_grace_seconds": 2}""");
        api = await ReadyCallbackServer.StartAsync();
        var options = InstanceActivityKit.Options(api.BaseUrl);
        var definition = ProcessProviderExecutable.Definition(config);
        provider = new ExternalProvider(definition, options.ControllerId);
        seed = await InstanceSeed.CreateAsync(database.DataSource);
        activities = InstanceActivityKit.Activities(database.DataSource, [definition], options);
    }

    public async Task DisposeAsync()
    {
        // Leave no agent behind, whatever the test did.
        await provider.RemoveAllInstancesAsync();
        await api.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_created_process_calls_back_with_the_derived_token_a_retry_adopts_it_and_delete_leaves_no_process()
    {
        var instance = await seed.InstanceAsync(providerName: "process");
        var request = new MachineCreateRequest(instance.Id, instance.Name, "process", instance.PresetId, 1);

        var created = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(request));
        var ready = await api.WaitReadyAsync(instance.Id.ToString(), TimeSpan.FromSeconds(30));
        var pid = AgentPid(instance.Name);
        var adopted = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(request with { Attempt = 2 }));

        Assert.True(created.Created, created.Fault);
        Assert.Equal(created.ProviderId, adopted.ProviderId);
        Assert.Equal(pid, AgentPid(instance.Name));
        Assert.Single(await provider.ListInstancesAsync(new ProviderPool(instance.PresetId.ToString())));
        var token = ready.Authorization["Bearer ".Length..];
        Assert.True(InstanceToken.Matches(token, (await seed.ReadAsync(instance.Id)).AgentTokenHash), "the agent's token does not match the stored hash");

        var deleted = await InstanceActivityKit.Environment().RunAsync(() => activities.DeleteMachineAsync(new(instance.Id, instance.Name, "process", created.ProviderId, Force: false)));

        Assert.Equal(new MachineDeleteResult(true, false, null), deleted);
        Assert.Empty(await provider.ListInstancesAsync(new ProviderPool(instance.PresetId.ToString())));
        Assert.True(await ProviderTestKit.EventuallyAsync(() => ProviderTestKit.IsGone(pid), TimeSpan.FromSeconds(10)), $"agent process {pid} is still alive");
    }

    private int AgentPid(string name)
    {
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "state", "instances", name + ".json")));
        return record.RootElement.GetProperty("pid").GetInt32();
    }
}
