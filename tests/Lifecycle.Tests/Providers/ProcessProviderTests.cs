using System.Text.Json;
using Lifecycle.Activities.Providers;
using Lifecycle.Workflows.Instances;
using System.Runtime.Versioning;
using Xunit;

namespace Lifecycle.Tests.Providers;

/// <summary>
/// The built-in <c>process</c> provider, run as its real executable through the provider client: every instance is a
/// real local process that calls the ready callback with its token and is gone after a delete.
/// </summary>
[Collection(ProviderProcesses.Name)]
[SupportedOSPlatform("linux")]
public sealed class ProcessProviderTests : IAsyncLifetime
{
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(60);

    private readonly string directory = ProviderTestKit.TempDirectory("process-provider");
    private readonly string controllerId = ProviderTestKit.ControllerId();
    private readonly ProviderPool pool = new("pool-" + Guid.NewGuid().ToString("N")[..8]);
    private ExternalProvider provider = null!;
    private ReadyCallbackServer api = null!;

    private string StateDir => Path.Combine(directory, "state");

    public async Task InitializeAsync()
    {
        var config = Path.Combine(directory, "process-provider.json");
        await File.WriteAllTextAsync(config, """{"state_dir": "state", "stop_grace_seconds": 2}""");
        // Generous limits: the machine is shared with parallel builds, and a slow call is not what these tests are about.
        provider = new ExternalProvider(ProcessProviderExecutable.Definition(config, timeout: TimeSpan.FromMinutes(2)), controllerId);
        api = await ReadyCallbackServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        // Leave no agent behind, whatever the test did.
        await provider.RemoveAllInstancesAsync();
        await api.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Create_starts_a_real_process_that_calls_back_ready_with_its_token()
    {
        var name = ProviderTestKit.InstanceName();

        var instance = await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id, api.CallbackUrlFor(name), "secret-token-1"));

        Assert.Equal((name, InstanceStatus.Running), (instance.Name, instance.Status));
        Assert.StartsWith("proc-", instance.ProviderId, StringComparison.Ordinal);
        var ready = await api.WaitReadyAsync(name, ReadyLimit);
        Assert.Equal("Bearer secret-token-1", ready.Authorization);
        var pid = AgentPid(name);
        Assert.False(ProviderTestKit.IsGone(pid));
        Assert.Contains($"agent {Path.Combine(StateDir, "instances", name + ".json")}", ProviderTestKit.CommandLine(pid), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_create_of_the_same_name_returns_the_same_instance_and_process()
    {
        var name = ProviderTestKit.InstanceName();
        var bootstrap = ProviderTestKit.Bootstrap(name, pool.Id, api.CallbackUrlFor(name), "t");

        var first = await provider.CreateInstanceAsync(bootstrap);
        var pid = AgentPid(name);
        var second = await provider.CreateInstanceAsync(bootstrap);

        Assert.Equal(first.ProviderId, second.ProviderId);
        Assert.Equal(pid, AgentPid(name));
        Assert.Single(await provider.ListInstancesAsync(pool));
    }

    [Fact]
    public async Task Concurrent_creates_of_one_name_make_one_process()
    {
        var name = ProviderTestKit.InstanceName();
        var bootstrap = ProviderTestKit.Bootstrap(name, pool.Id);

        var made = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => provider.CreateInstanceAsync(bootstrap)));

        Assert.Single(made.Select(i => i.ProviderId).Distinct());
        Assert.Single(await provider.ListInstancesAsync(pool));
    }

    [Fact]
    public async Task Delete_by_provider_id_or_name_leaves_no_process_and_a_second_delete_finds_it_gone()
    {
        var a = ProviderTestKit.InstanceName("a");
        var b = ProviderTestKit.InstanceName("b");
        var made = await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(a, pool.Id));
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(b, pool.Id));
        var pids = new[] { AgentPid(a), AgentPid(b) };

        Assert.Equal(DeleteOutcome.Deleted, await provider.DeleteInstanceAsync(made.ProviderId));
        Assert.Equal(DeleteOutcome.Deleted, await provider.DeleteInstanceAsync(b));

        Assert.All(pids, pid => Assert.True(ProviderTestKit.IsGone(pid), $"agent {pid} survived its delete"));
        Assert.Equal(DeleteOutcome.AlreadyGone, await provider.DeleteInstanceAsync(made.ProviderId));
        Assert.Equal(DeleteOutcome.AlreadyGone, await provider.DeleteInstanceAsync(b));
        Assert.Empty(await provider.ListInstancesAsync(pool));
    }

    [Fact]
    public async Task Unknown_instances_are_not_found_success_for_delete_only()
    {
        Assert.Equal(DeleteOutcome.AlreadyGone, await provider.DeleteInstanceAsync("lc-nobody"));
        Assert.Equal(DeleteOutcome.AlreadyGone, await provider.DeleteInstanceAsync("i-0abc/us-east-1:other-cloud"));
        var get = await Assert.ThrowsAsync<ProviderException>(() => provider.GetInstanceAsync("lc-nobody"));
        var start = await Assert.ThrowsAsync<ProviderException>(() => provider.StartInstanceAsync("lc-nobody"));

        Assert.Equal("provider \"process\" GetInstance for instance \"lc-nobody\": exit 30 (not found): instance \"lc-nobody\" not found", get.Message);
        Assert.Equal(ProviderErrorKind.NotFound, start.Kind);
    }

    [Fact]
    public async Task Another_controllers_instances_are_invisible_and_untouchable()
    {
        var name = ProviderTestKit.InstanceName();
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id));
        var other = new ExternalProvider(provider.Definition, ProviderTestKit.ControllerId());

        Assert.Empty(await other.ListInstancesAsync(pool));
        Assert.Equal(DeleteOutcome.AlreadyGone, await other.DeleteInstanceAsync(name));
        var taken = await Assert.ThrowsAsync<ProviderException>(() => other.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id)));

        Assert.Equal(ProviderErrorKind.Duplicate, taken.Kind);
        Assert.False(ProviderTestKit.IsGone(AgentPid(name)));
    }

    [Fact]
    public async Task Get_and_list_report_the_real_state_of_the_process()
    {
        var name = ProviderTestKit.InstanceName();
        var other = ProviderTestKit.InstanceName();
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id));
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(other, "another-pool"));
        Assert.Equal(InstanceStatus.Running, (await provider.GetInstanceAsync(name)).Status);

        // The machine dies behind the provider's back.
        System.Diagnostics.Process.GetProcessById(AgentPid(name)).Kill();
        Assert.True(await ProviderTestKit.EventuallyAsync(() => ProviderTestKit.IsGone(AgentPid(name)), TimeSpan.FromSeconds(10)));

        var got = await provider.GetInstanceAsync(name);
        Assert.Equal(InstanceStatus.Error, got.Status);
        Assert.Contains("is gone", got.FaultText, StringComparison.Ordinal);
        var listed = Assert.Single(await provider.ListInstancesAsync(pool));
        Assert.Equal((name, InstanceStatus.Error), (listed.Name, listed.Status));
    }

    [Fact]
    public async Task Stop_ends_the_process_and_start_runs_a_new_one_that_calls_back_again()
    {
        var name = ProviderTestKit.InstanceName();
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id, api.CallbackUrlFor(name), "tok"));
        await api.WaitReadyAsync(name, ReadyLimit);
        var firstPid = AgentPid(name);

        await provider.StopInstanceAsync(name);
        Assert.True(ProviderTestKit.IsGone(firstPid));
        Assert.Equal(InstanceStatus.Stopped, (await provider.GetInstanceAsync(name)).Status);

        await provider.StartInstanceAsync(name);
        var secondPid = AgentPid(name);
        Assert.NotEqual(firstPid, secondPid);
        Assert.Equal(InstanceStatus.Running, (await provider.GetInstanceAsync(name)).Status);
        Assert.True(await ProviderTestKit.EventuallyAsync(() => api.Calls.Count(c => c.Name == name) == 2, ReadyLimit));
    }

    [Fact]
    public async Task Remove_all_kills_every_instance_of_the_pool_and_only_that_pool_under_v011()
    {
        var mine = Enumerable.Range(0, 3).Select(i => ProviderTestKit.InstanceName($"m{i}")).ToList();
        var theirs = ProviderTestKit.InstanceName("other");
        foreach (var name in mine)
            await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id));
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(theirs, "another-pool"));
        var pids = mine.Select(AgentPid).ToList();

        await provider.RemoveAllInstancesAsync(pool);

        Assert.All(pids, pid => Assert.True(ProviderTestKit.IsGone(pid)));
        Assert.Empty(await provider.ListInstancesAsync(pool));
        Assert.False(ProviderTestKit.IsGone(AgentPid(theirs)));
    }

    [Fact]
    public async Task The_agent_retries_the_callback_until_the_api_is_reachable()
    {
        var port = LoopbackPort.Free();
        var name = ProviderTestKit.InstanceName();
        var callback = $"http://127.0.0.1:{port}/api/v1/instances/{name}";
        await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id, callback, "late-token"));
        var log = Path.Combine(StateDir, "logs", name + ".log");
        Assert.True(await ProviderTestKit.EventuallyAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("retrying", StringComparison.Ordinal), ReadyLimit));

        await using var late = await ReadyCallbackServer.StartAsync(port);

        var ready = await late.WaitReadyAsync(name, ReadyLimit);
        Assert.Equal("Bearer late-token", ready.Authorization);
    }

    [Fact]
    public async Task Twenty_instances_created_in_parallel_all_become_ready_and_are_all_gone_after_delete()
    {
        var names = Enumerable.Range(0, 20).Select(i => ProviderTestKit.InstanceName($"p{i:00}")).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var made = await Task.WhenAll(names.Select(n => provider.CreateInstanceAsync(ProviderTestKit.Bootstrap(n, pool.Id, api.CallbackUrlFor(n), "token-" + n))));
        var calls = await Task.WhenAll(names.Select(n => api.WaitReadyAsync(n, TimeSpan.FromMinutes(3))));
        var allReady = clock.Elapsed;

        Assert.All(made, i => Assert.Equal(InstanceStatus.Running, i.Status));
        Assert.Equal(names.Select(n => "Bearer token-" + n), calls.Select(c => c.Authorization));
        var pids = names.Select(AgentPid).ToList();
        Assert.Equal(20, pids.Distinct().Count());
        Assert.Equal(20, (await provider.ListInstancesAsync(pool)).Count);

        await Task.WhenAll(made.Select(i => provider.DeleteInstanceAsync(i.ProviderId)));

        Assert.All(pids, pid => Assert.True(ProviderTestKit.IsGone(pid), $"agent {pid} survived its delete"));
        Assert.Empty(await provider.ListInstancesAsync(pool));
        Assert.Empty(Directory.GetFiles(Path.Combine(StateDir, "instances")));
        Console.WriteLine($"20 process instances: all ready after {allReady.TotalSeconds:0.0} s, all deleted after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task The_provider_speaks_both_interface_versions_and_reports_its_version()
    {
        var v010 = new ExternalProvider(provider.Definition with { InterfaceVersion = ProviderContract.InterfaceV010 }, controllerId);
        var name = ProviderTestKit.InstanceName();

        await v010.CreateInstanceAsync(ProviderTestKit.Bootstrap(name, pool.Id));
        Assert.Equal(InstanceStatus.Running, (await v010.GetInstanceAsync(name)).Status);
        Assert.Equal(DeleteOutcome.Deleted, await v010.DeleteInstanceAsync(name));

        Assert.StartsWith("v", await provider.GetVersionAsync(), StringComparison.Ordinal);
    }

    private int AgentPid(string name)
    {
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(StateDir, "instances", name + ".json")));
        return record.RootElement.GetProperty("pid").GetInt32();
    }
}
