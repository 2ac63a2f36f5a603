using System.Runtime.Versioning;
using System.Text.Json;
using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>The <c>MachineCreate</c> and <c>MachineDelete</c> activities with the scripted provider and real PostgreSQL.</summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceMachineActivityTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly ScriptedMachines scripted = ScriptedMachines.Create();
    private InstanceSeed seed = null!;
    private InstanceActivities activities = null!;

    public async Task InitializeAsync()
    {
        seed = await InstanceSeed.CreateAsync(database.DataSource);
        activities = InstanceActivityKit.Activities(database.DataSource, [scripted.Definition]);
    }

    public Task DisposeAsync()
    {
        scripted.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Create_looks_the_name_up_then_creates_with_the_bootstrap_built_from_the_store()
    {
        var instance = await seed.InstanceAsync();
        var heartbeats = 0;
        var env = InstanceActivityKit.Environment(_ => Interlocked.Increment(ref heartbeats));

        var result = await env.RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        Assert.Equal(new MachineCreateResult(true, $"sp-{instance.Name}", "running", null), result);
        Assert.Equal([$"GetInstance:{instance.Name}", "CreateInstance"], scripted.Commands());
        Assert.True(heartbeats >= 2, $"expected a heartbeat per provider call, got {heartbeats}");

        using var bootstrap = JsonDocument.Parse(Assert.Single(scripted.CreateInputs()));
        var root = bootstrap.RootElement;
        var token = InstanceToken.Derive(InstanceActivityKit.Secret, instance.Id);
        Assert.Equal(instance.Name, root.GetProperty("name").GetString());
        Assert.Equal(instance.PresetId.ToString(), root.GetProperty("pool_id").GetString());
        Assert.Equal(InstanceSeed.Image, root.GetProperty("image").GetString());
        Assert.Equal(InstanceSeed.Flavor, root.GetProperty("flavor").GetString());
        Assert.Equal("10G", root.GetProperty("extra_specs").GetProperty("disk").GetString());
        Assert.Equal("arm64", root.GetProperty("arch").GetString());
        Assert.Equal("linux", root.GetProperty("os_type").GetString());
        Assert.Equal($"http://127.0.0.1:9/api/v1/instances/{instance.Id}", root.GetProperty("callback-url").GetString());
        Assert.Equal(token, root.GetProperty("instance-token").GetString());
        var labels = root.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Contains("lifecycle-controller=controller-instances-tests", labels);
        Assert.Contains($"lifecycle-pool={instance.PresetId}", labels);

        var stored = await seed.ReadAsync(instance.Id);
        Assert.Equal(InstanceToken.Hash(token), stored.AgentTokenHash);
        Assert.True(InstanceToken.Matches(token, stored.AgentTokenHash));
        Assert.Contains($"\"provider_id\": \"sp-{instance.Name}\"", stored.ProviderDetails, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retry_after_the_worker_died_mid_create_adopts_the_machine_instead_of_making_a_second()
    {
        var instance = await seed.InstanceAsync();

        // Attempt 1 made the machine, but its worker died before the workflow heard back (its result is lost).
        _ = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));
        var retried = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        Assert.True(retried.Created);
        Assert.Equal($"sp-{instance.Name}", retried.ProviderId);
        Assert.Equal([$"GetInstance:{instance.Name}", "CreateInstance", $"GetInstance:{instance.Name}"], scripted.Commands());
        Assert.Equal([instance.Name], scripted.Machines());
    }

    [Fact]
    public async Task A_failed_create_comes_back_as_a_fault_naming_the_instance_attempt_provider_and_message()
    {
        scripted.Control("CREATE_FAIL_BEFORE_ID=1");
        var instance = await seed.InstanceAsync();

        var result = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance, attempt: 3)));

        Assert.False(result.Created);
        Assert.Null(result.ProviderId);
        Assert.Contains($"instance \"{instance.Name}\" create attempt 3", result.Fault, StringComparison.Ordinal);
        Assert.Contains("provider \"scripted\" CreateInstance", result.Fault, StringComparison.Ordinal);
        Assert.Contains("quota exceeded", result.Fault, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_create_that_returns_an_error_status_is_cleaned_up_by_its_provider_id_in_the_same_activity()
    {
        scripted.Control("CREATE_ERROR_STATUS=1\nCREATE_FAIL_MESSAGE='image not found'");
        var instance = await seed.InstanceAsync();

        var result = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        Assert.False(result.Created);
        Assert.True(result.CleanedUp);
        Assert.Equal($"sp-{instance.Name}", result.ProviderId);
        Assert.Equal("error", result.Status);
        Assert.Contains("image not found", result.Fault, StringComparison.Ordinal);
        Assert.Equal([$"GetInstance:{instance.Name}", "CreateInstance", $"DeleteInstance:sp-{instance.Name}"], scripted.Commands());
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_create_that_fails_before_any_id_is_cleaned_up_by_name_and_a_failed_cleanup_is_reported()
    {
        scripted.Control("CREATE_FAIL_BEFORE_ID=1\nDELETE_FAIL=1\nDELETE_FAIL_MESSAGE='volume busy'");
        var instance = await seed.InstanceAsync();

        var result = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        Assert.False(result.Created);
        Assert.False(result.CleanedUp);
        Assert.Null(result.ProviderId);
        Assert.Contains($"cleanup of {instance.Name} failed", result.Fault, StringComparison.Ordinal);
        Assert.Contains("volume busy", result.Fault, StringComparison.Ordinal);
        Assert.Equal([$"GetInstance:{instance.Name}", "CreateInstance", $"DeleteInstance:{instance.Name}"], scripted.Commands());
    }

    [Fact]
    public async Task A_machine_in_error_left_under_the_name_is_not_adopted_and_no_second_one_is_made()
    {
        // The first attempt's machine came back in error and its cleanup failed, so it is still there.
        scripted.Control("CREATE_ERROR_STATUS=1\nDELETE_FAIL=1");
        var instance = await seed.InstanceAsync();
        var first = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        var retried = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance, attempt: 2)));

        Assert.False(first.CleanedUp);
        Assert.False(retried.Created);
        Assert.True(retried.CleanedUp);
        Assert.Equal($"sp-{instance.Name}", retried.ProviderId);
        Assert.Single(scripted.Commands(), c => c == "CreateInstance");
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_failed_look_up_by_name_never_creates()
    {
        scripted.Control("EXIT_GetInstance=1");
        var instance = await seed.InstanceAsync();

        var result = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        Assert.False(result.Created);
        Assert.Contains("looking for a machine already made under its name failed", result.Fault, StringComparison.Ordinal);
        Assert.DoesNotContain("CreateInstance", scripted.Commands());
    }

    [Fact]
    public async Task An_unconfigured_provider_is_a_fault_that_lists_the_configured_ones()
    {
        var instance = await seed.InstanceAsync();

        var result = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance) with { ProviderName = "lxd" }));

        Assert.False(result.Created);
        Assert.Contains("provider \"lxd\" is not configured (configured: scripted)", result.Fault, StringComparison.Ordinal);
        Assert.Empty(scripted.Commands());
    }

    [Fact]
    public async Task Delete_goes_by_provider_id_else_by_name_and_a_machine_already_gone_is_deleted_and_not_found()
    {
        var instance = await seed.InstanceAsync();
        var created = await InstanceActivityKit.Environment().RunAsync(() => activities.CreateMachineAsync(Request(instance)));

        var byId = await InstanceActivityKit.Environment().RunAsync(() => activities.DeleteMachineAsync(new(instance.Id, instance.Name, "scripted", created.ProviderId, Force: false)));
        var byName = await InstanceActivityKit.Environment().RunAsync(() => activities.DeleteMachineAsync(new(instance.Id, instance.Name, "scripted", null, Force: false)));

        Assert.Equal(new MachineDeleteResult(true, false, null), byId);
        Assert.Equal(new MachineDeleteResult(true, true, null), byName);
        Assert.Equal([$"DeleteInstance:sp-{instance.Name}", $"DeleteInstance:{instance.Name}"], scripted.Commands().Where(c => c.StartsWith("Delete", StringComparison.Ordinal)));
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_failed_delete_is_a_fault_result_with_the_providers_message()
    {
        scripted.Control("DELETE_FAIL=-1\nDELETE_FAIL_MESSAGE='volume busy'");
        var instance = await seed.InstanceAsync();

        var result = await InstanceActivityKit.Environment().RunAsync(() => activities.DeleteMachineAsync(new(instance.Id, instance.Name, "scripted", null, Force: true)));

        Assert.False(result.Deleted);
        Assert.False(result.NotFound);
        Assert.Contains($"instance \"{instance.Name}\" delete (forced)", result.Fault, StringComparison.Ordinal);
        Assert.Contains("volume busy", result.Fault, StringComparison.Ordinal);
    }

    private static MachineCreateRequest Request(SeededInstance instance, int attempt = 1) =>
        new(instance.Id, instance.Name, instance.ProviderName, instance.PresetId, attempt);
}
