using System.Text;
using System.Text.Json;
using Lifecycle.Activities.Providers;
using Lifecycle.Workflows.Instances;
using System.Runtime.Versioning;
using Xunit;

namespace Lifecycle.Tests.Providers;

/// <summary>The provider client against the real scripted provider executable: environment, stdin, stdout, exit codes, timeouts.</summary>
[Collection(ProviderProcesses.Name)]
[SupportedOSPlatform("linux")]
public sealed class ExternalProviderTests : IDisposable
{
    private readonly string directory = ProviderTestKit.TempDirectory("external");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Create_sends_the_bootstrap_on_stdin_and_the_contract_variables_and_reads_the_instance()
    {
        using var scripted = ScriptedProvider.Create();
        var bootstrap = ProviderTestKit.Bootstrap("lc-abc", "pool-1", "http://api/instances/lc-abc", "tok-1") with
        {
            ExtraSpecs = JsonDocument.Parse("""{"cpus":2}""").RootElement,
        };

        var instance = await scripted.Provider.CreateInstanceAsync(bootstrap);

        Assert.Equal("sp-lc-abc", instance.ProviderId);
        Assert.Equal("lc-abc", instance.Name);
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Equal("10.0.0.1", Assert.Single(instance.Addresses!).Address);
        var call = Assert.Single(scripted.Calls());
        Assert.Equal(("CreateInstance", "pool-1", "lc-abc", "controller-1", "v0.1.0"), (call.Command, call.PoolId, call.Name, call.ControllerId, call.InterfaceVersion));
        Assert.Equal(string.Empty, call.ExtraSpecsBase64);
        using var stdin = JsonDocument.Parse(call.Stdin!);
        Assert.Equal("http://api/instances/lc-abc", stdin.RootElement.GetProperty("callback-url").GetString());
        Assert.Equal("tok-1", stdin.RootElement.GetProperty("instance-token").GetString());
        Assert.Equal("pool-1", stdin.RootElement.GetProperty("pool_id").GetString());
        Assert.Equal(2, stdin.RootElement.GetProperty("extra_specs").GetProperty("cpus").GetInt32());
    }

    [Fact]
    public async Task Interface_v011_sends_the_pool_and_base64_extra_specs_to_per_instance_commands()
    {
        using var scripted = ScriptedProvider.Create(interfaceVersion: ProviderContract.InterfaceV011);
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-v11", "pool-9"));

        await scripted.Provider.DeleteInstanceAsync("sp-lc-v11", new ProviderPool("pool-9", JsonDocument.Parse("""{"a":1}""").RootElement));
        await scripted.Provider.GetVersionAsync();

        var calls = scripted.Calls();
        Assert.Equal("v0.1.1", calls[1].InterfaceVersion);
        Assert.Equal(("DeleteInstance", "sp-lc-v11", "pool-9"), (calls[1].Command, calls[1].InstanceId, calls[1].PoolId));
        Assert.Equal("""{"a":1}""", calls[1].ExtraSpecs);
        Assert.Equal("null", calls[0].ExtraSpecs);
        Assert.Equal(("GetVersion", string.Empty), (calls[2].Command, calls[2].PoolId));
    }

    [Fact]
    public async Task Interface_v010_sends_no_pool_to_per_instance_commands()
    {
        using var scripted = ScriptedProvider.Create();
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-v10", "pool-9"));

        await scripted.Provider.StopInstanceAsync("lc-v10", new ProviderPool("pool-9"));
        await scripted.Provider.StartInstanceAsync("lc-v10", new ProviderPool("pool-9"));

        var calls = scripted.Calls();
        Assert.Equal(["CreateInstance", "StopInstance", "StartInstance"], calls.Select(c => c.Command));
        Assert.All(calls.Skip(1), c => Assert.Equal((string.Empty, "lc-v10"), (c.PoolId, c.InstanceId)));
    }

    [Fact]
    public async Task A_failed_create_carries_provider_command_instance_exit_code_and_stderr()
    {
        using var scripted = ScriptedProvider.Create("CREATE_FAIL_BEFORE_ID=1");

        var error = await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-abc", "pool-1")));

        Assert.Equal("provider \"scripted\" CreateInstance for instance \"lc-abc\": exit 1: quota exceeded", error.Message);
        Assert.Equal((ProviderErrorKind.Failed, 1), (error.Kind, error.ExitCode));
    }

    [Fact]
    public async Task Create_fails_twice_then_succeeds()
    {
        using var scripted = ScriptedProvider.Create("CREATE_FAIL_BEFORE_ID=2");
        var bootstrap = ProviderTestKit.Bootstrap("lc-retry", "pool-1");

        await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.CreateInstanceAsync(bootstrap));
        await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.CreateInstanceAsync(bootstrap));
        var instance = await scripted.Provider.CreateInstanceAsync(bootstrap);

        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Equal(3, scripted.Calls().Count(c => c.Command == "CreateInstance"));
    }

    [Fact]
    public async Task A_create_that_returns_an_error_status_instance_is_returned_with_its_fault_for_the_caller_to_clean_up()
    {
        using var scripted = ScriptedProvider.Create("CREATE_ERROR_STATUS=1\nCREATE_FAIL_MESSAGE='image not found'");

        var instance = await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-err", "pool-1"));

        Assert.Equal((InstanceStatus.Error, "sp-lc-err", "image not found"), (instance.Status, instance.ProviderId, instance.FaultText));
    }

    [Theory]
    [InlineData("GetInstance", 30, ProviderErrorKind.NotFound, "exit 30 (not found): scripted exit 30")]
    [InlineData("GetInstance", 31, ProviderErrorKind.Duplicate, "exit 31 (duplicate): scripted exit 31")]
    [InlineData("GetInstance", 2, ProviderErrorKind.Failed, "exit 2: scripted exit 2")]
    [InlineData("StartInstance", 30, ProviderErrorKind.NotFound, "exit 30 (not found): scripted exit 30")]
    [InlineData("StopInstance", 1, ProviderErrorKind.Failed, "exit 1: scripted exit 1")]
    [InlineData("ListInstances", 30, ProviderErrorKind.NotFound, "exit 30 (not found): scripted exit 30")]
    [InlineData("RemoveAllInstances", 30, ProviderErrorKind.NotFound, "exit 30 (not found): scripted exit 30")]
    [InlineData("CreateInstance", 30, ProviderErrorKind.NotFound, "exit 30 (not found): scripted exit 30")]
    [InlineData("DeleteInstance", 31, ProviderErrorKind.Duplicate, "exit 31 (duplicate): scripted exit 31")]
    [InlineData("DeleteInstance", 255, ProviderErrorKind.Failed, "exit 255: scripted exit 255")]
    public async Task Exit_codes_other_than_zero_fail_every_command_with_their_kind(string command, int exitCode, ProviderErrorKind kind, string detail)
    {
        using var scripted = ScriptedProvider.Create($"EXIT_{command}={exitCode}");

        var error = await Assert.ThrowsAsync<ProviderException>(() => Invoke(scripted.Provider, command));

        Assert.Equal((kind, exitCode, detail), (error.Kind, error.ExitCode, error.Detail));
        Assert.StartsWith($"provider \"scripted\" {command}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_30_on_delete_is_success_because_the_instance_is_already_gone()
    {
        using var scripted = ScriptedProvider.Create();

        var outcome = await scripted.Provider.DeleteInstanceAsync("lc-never-made");

        Assert.Equal(DeleteOutcome.AlreadyGone, outcome);
        Assert.Equal(("DeleteInstance", "lc-never-made"), (scripted.Calls()[0].Command, scripted.Calls()[0].InstanceId));
    }

    [Fact]
    public async Task Delete_by_provider_id_or_by_name_deletes_and_a_second_delete_finds_it_gone()
    {
        using var scripted = ScriptedProvider.Create();
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-a", "pool-1"));
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-b", "pool-1"));

        Assert.Equal(DeleteOutcome.Deleted, await scripted.Provider.DeleteInstanceAsync("sp-lc-a"));
        Assert.Equal(DeleteOutcome.Deleted, await scripted.Provider.DeleteInstanceAsync("lc-b"));
        Assert.Equal(DeleteOutcome.AlreadyGone, await scripted.Provider.DeleteInstanceAsync("sp-lc-a"));
        Assert.Empty(await scripted.Provider.ListInstancesAsync(new ProviderPool("pool-1")));
    }

    [Fact]
    public async Task Delete_fails_three_times_then_succeeds()
    {
        using var scripted = ScriptedProvider.Create("DELETE_FAIL=3");
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-d", "pool-1"));

        for (var i = 0; i < 3; i++)
        {
            var error = await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.DeleteInstanceAsync("sp-lc-d"));
            Assert.Equal("provider \"scripted\" DeleteInstance for instance \"sp-lc-d\": exit 1: delete refused", error.Message);
        }

        Assert.Equal(DeleteOutcome.Deleted, await scripted.Provider.DeleteInstanceAsync("sp-lc-d"));
    }

    [Fact]
    public async Task Delete_set_to_always_fail_keeps_failing()
    {
        using var scripted = ScriptedProvider.Create("DELETE_FAIL=-1\nDELETE_FAIL_MESSAGE='volume busy'");
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-stuck", "pool-1"));

        for (var i = 0; i < 4; i++)
        {
            var error = await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.DeleteInstanceAsync("sp-lc-stuck"));
            Assert.Equal("exit 1: volume busy", error.Detail);
        }

        Assert.Equal(4, scripted.Calls().Count(c => c.Command == "DeleteInstance"));
        Assert.Single(await scripted.Provider.ListInstancesAsync(new ProviderPool("pool-1")));
    }

    [Fact]
    public async Task List_get_start_stop_and_remove_all_follow_the_provider()
    {
        using var scripted = ScriptedProvider.Create();
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-1", "pool-a"));
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-2", "pool-a"));
        await scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-3", "pool-b"));

        await scripted.Provider.StopInstanceAsync("sp-lc-2");
        var listed = await scripted.Provider.ListInstancesAsync(new ProviderPool("pool-a"));
        Assert.Equal([("lc-1", InstanceStatus.Running), ("lc-2", InstanceStatus.Stopped)], listed.Select(i => (i.Name, i.Status)).Order());
        await scripted.Provider.StartInstanceAsync("lc-2");
        Assert.Equal(InstanceStatus.Running, (await scripted.Provider.GetInstanceAsync("lc-2")).Status);

        await scripted.Provider.RemoveAllInstancesAsync();
        Assert.Empty(await scripted.Provider.ListInstancesAsync(new ProviderPool("pool-a")));
        Assert.Empty(await scripted.Provider.ListInstancesAsync(new ProviderPool("pool-b")));
        Assert.Equal("scripted-provider v1", await scripted.Provider.GetVersionAsync());
    }

    [Theory]
    [InlineData("CreateInstance")]
    [InlineData("GetInstance")]
    [InlineData("ListInstances")]
    public async Task Garbage_output_is_an_error_quoting_exactly_the_first_200_bytes(string command)
    {
        using var scripted = ScriptedProvider.Create($"GARBAGE={command}");

        var error = await Assert.ThrowsAsync<ProviderException>(() => Invoke(scripted.Provider, command));

        const string printed = "this is not JSON: the provider printed its debug log to stdout. ";
        var expectedHead = (printed + string.Concat(Enumerable.Repeat("line 2 ", 40)))[..200];
        Assert.Equal(ProviderErrorKind.InvalidOutput, error.Kind);
        Assert.Contains("printed invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"output began: \"{expectedHead}\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_output_from_list_is_an_error_not_an_empty_list()
    {
        // A provider that prints nothing for ListInstances (GARM scenario E7): make one from the garbage-free script by exiting 0 early.
        using var scripted = ScriptedProvider.Create("EXIT_ListInstances=0");

        var error = await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.ListInstancesAsync(new ProviderPool("pool-1")));

        Assert.Equal(ProviderErrorKind.InvalidOutput, error.Kind);
        Assert.Contains("printed nothing, expected JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hanging_provider_is_killed_at_the_timeout_with_its_whole_process_tree()
    {
        using var scripted = ScriptedProvider.Create("HANG=CreateInstance", timeout: TimeSpan.FromSeconds(2));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-hang", "pool-1")));

        Assert.Equal(ProviderErrorKind.TimedOut, error.Kind);
        Assert.Equal("provider \"scripted\" CreateInstance for instance \"lc-hang\": timed out after 2 s; the provider's process tree was killed", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
        var pids = scripted.HungPids();
        Assert.Equal(2, pids.Count);
        Assert.All(pids, pid => Assert.True(ProviderTestKit.IsGone(pid), $"process {pid} ({ProviderTestKit.CommandLine(pid)}) is still alive"));
    }

    [Fact]
    public async Task A_create_timeout_shorter_than_the_providers_wins()
    {
        using var scripted = ScriptedProvider.Create("HANG=CreateInstance", timeout: TimeSpan.FromMinutes(5));

        var error = await Assert.ThrowsAsync<ProviderException>(() => scripted.Provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-hang", "pool-1"), timeout: TimeSpan.FromMilliseconds(1500)));

        Assert.Equal(ProviderErrorKind.TimedOut, error.Kind);
        Assert.Contains("timed out after 1.5 s", error.Message, StringComparison.Ordinal);
        Assert.All(scripted.HungPids(), pid => Assert.True(ProviderTestKit.IsGone(pid)));
    }

    [Fact]
    public async Task Cancelling_a_call_kills_the_provider_and_throws_cancelled()
    {
        using var scripted = ScriptedProvider.Create("HANG=GetInstance");
        using var cancel = new CancellationTokenSource();
        var call = scripted.Provider.GetInstanceAsync("lc-x", cancellationToken: cancel.Token);
        Assert.True(await ProviderTestKit.EventuallyAsync(() => scripted.HungPids().Count == 2, TimeSpan.FromSeconds(10)));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(await ProviderTestKit.EventuallyAsync(() => scripted.HungPids().All(ProviderTestKit.IsGone), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_provider_that_leaves_a_child_holding_its_output_still_answers_with_what_it_printed()
    {
        var dir = Directory.CreateDirectory(Path.Combine(directory, "daemon")).FullName;
        var script = Path.Combine(dir, "provider.sh");
        var childPid = Path.Combine(dir, "child.pid");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\n/usr/bin/sleep 60 &\necho $! > {childPid}\necho v9.9\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var provider = new ExternalProvider(new ProviderDefinition { Name = "daemon", Executable = script, Timeout = TimeSpan.FromSeconds(30) }, "controller-1");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        try
        {
            Assert.Equal("v9.9", await provider.GetVersionAsync());
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        }
        finally
        {
            using var child = System.Diagnostics.Process.GetProcessById(int.Parse(await File.ReadAllTextAsync(childPid), System.Globalization.CultureInfo.InvariantCulture));
            child.Kill();
        }
    }

    [Fact]
    public async Task An_instance_without_provider_id_or_with_a_status_only_we_may_set_is_invalid_output()
    {
        var dir = Directory.CreateDirectory(Path.Combine(directory, "bad-instance")).FullName;
        var script = Path.Combine(dir, "provider.sh");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            case "$GARM_COMMAND" in
              CreateInstance) cat >/dev/null; echo '{"name":"lc-x","status":"running"}' ;;
              GetInstance) echo '{"provider_id":"p1","name":"lc-x","status":"pending_create"}' ;;
              ListInstances) echo '[{"provider_id":"p1","name":"lc-x","status":"sleeping"}]' ;;
            esac
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var provider = new ExternalProvider(new ProviderDefinition { Name = "bad", Executable = script }, "controller-1");

        var create = await Assert.ThrowsAsync<ProviderException>(() => provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-x", "pool-1")));
        var get = await Assert.ThrowsAsync<ProviderException>(() => provider.GetInstanceAsync("lc-x"));
        var list = await Assert.ThrowsAsync<ProviderException>(() => provider.ListInstancesAsync(new ProviderPool("pool-1")));

        Assert.Contains("printed an invalid instance: missing provider_id", create.Message, StringComparison.Ordinal);
        Assert.Contains("printed an invalid instance: invalid status \"pending_create\"", get.Message, StringComparison.Ordinal);
        Assert.Contains("printed invalid JSON", list.Message, StringComparison.Ordinal);
        Assert.All([create, get, list], e => Assert.Equal(ProviderErrorKind.InvalidOutput, e.Kind));
    }

    [Fact]
    public async Task Only_the_contract_proxies_and_configured_prefixes_reach_the_provider()
    {
        var dir = Directory.CreateDirectory(Path.Combine(directory, "env")).FullName;
        var script = Path.Combine(dir, "provider.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\n/usr/bin/env | /usr/bin/sort\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var host = new Dictionary<string, string>
        {
            ["PROVIDER_LOG_LEVEL"] = "debug",
            ["PROVIDER_TIMEOUT"] = "30",
            ["INFRA_REGION"] = "us-east-1",
            ["GARM_SERVER_SHUTDOWN"] = "true",
            ["GARM_POOL_ID"] = "spoofed",
            ["HOME"] = "/root",
            ["https_proxy"] = "http://proxy:3128",
        };
        var provider = new ExternalProvider(
            new ProviderDefinition { Name = "env", Executable = script, EnvironmentPrefixes = ["PROVIDER_", "INFRA_REGION", "GARM_SERVER"] },
            "controller-7",
            host);

        var printed = await provider.GetVersionAsync();

        var names = printed.Split('\n').Select(l => l.Split('=')[0]).Where(n => n is not ("PWD" or "SHLVL" or "_")).ToList();
        Assert.Equal(
            ["GARM_COMMAND", "GARM_CONTROLLER_ID", "GARM_INTERFACE_VERSION", "GARM_PROVIDER_CONFIG_FILE", "INFRA_REGION", "PROVIDER_LOG_LEVEL", "PROVIDER_TIMEOUT", "https_proxy"],
            names);
        Assert.Contains("GARM_CONTROLLER_ID=controller-7", printed, StringComparison.Ordinal);
        Assert.Contains("GARM_INTERFACE_VERSION=v0.1.0", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_that_cannot_start_is_a_start_failure_naming_the_executable()
    {
        var dir = Directory.CreateDirectory(Path.Combine(directory, "nostart")).FullName;
        var script = Path.Combine(dir, "provider.sh");
        await File.WriteAllTextAsync(script, "#!/nonexistent/interpreter\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var provider = new ExternalProvider(new ProviderDefinition { Name = "broken", Executable = script }, "controller-1");

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.GetVersionAsync());

        Assert.Equal(ProviderErrorKind.StartFailed, error.Kind);
        Assert.StartsWith($"provider \"broken\" GetVersion: could not run \"{script}\"", error.Message, StringComparison.Ordinal);
    }

    private static async Task Invoke(ExternalProvider provider, string command)
    {
        switch (command)
        {
            case "CreateInstance": await provider.CreateInstanceAsync(ProviderTestKit.Bootstrap("lc-1", "pool-1")); break;
            case "DeleteInstance": await provider.DeleteInstanceAsync("lc-1"); break;
            case "GetInstance": await provider.GetInstanceAsync("lc-1"); break;
            case "ListInstances": await provider.ListInstancesAsync(new ProviderPool("pool-1")); break;
            case "RemoveAllInstances": await provider.RemoveAllInstancesAsync(); break;
            case "StartInstance": await provider.StartInstanceAsync("lc-1"); break;
            case "StopInstance": await provider.StopInstanceAsync("lc-1"); break;
            default: throw new ArgumentOutOfRangeException(nameof(command), command, "not a command");
        }
    }
}

/// <summary>Provider tests start real processes; they run one class at a time so timings stay honest on a small machine.</summary>
[CollectionDefinition(Name)]
public sealed class ProviderProcesses
{
    public const string Name = "provider processes";
}
