using System.Runtime.Versioning;
using Lifecycle.Activities.Providers;
using Xunit;

namespace Lifecycle.Tests.Providers;

/// <summary>Provider configuration is checked up front (GARM scenario E2), and providers are found by name.</summary>
[SupportedOSPlatform("linux")]
public sealed class ProviderDefinitionTests : IDisposable
{
    private readonly string directory = ProviderTestKit.TempDirectory("definitions");

    public static TheoryData<string, string, string, string, string> BadDefinitions() => new()
    {
        // because, executable (relative to the test dir unless absolute or empty), config file, interface version, expected problem
        { "relative executable", "rel/provider", string.Empty, "v0.1.0", "provider \"p\": executable \"rel/provider\" must be an absolute path" },
        { "missing executable", "/nonexistent/provider", string.Empty, "v0.1.0", "provider \"p\": executable \"/nonexistent/provider\" does not exist" },
        { "not executable (0644)", "{dir}/plain", string.Empty, "v0.1.0", "provider \"p\": executable \"{dir}/plain\" is not executable (mode 644)" },
        { "no executable", string.Empty, string.Empty, "v0.1.0", "provider \"p\": executable must be set" },
        { "relative config file", "{dir}/exec", "conf.toml", "v0.1.0", "provider \"p\": config file \"conf.toml\" must be an absolute path" },
        { "missing config file", "{dir}/exec", "/nonexistent/conf.toml", "v0.1.0", "provider \"p\": config file \"/nonexistent/conf.toml\" does not exist" },
        { "unknown interface version", "{dir}/exec", string.Empty, "v0.2.0", "provider \"p\": interface version \"v0.2.0\" is not supported (use v0.1.0 or v0.1.1)" },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public void A_bad_definition_is_refused_naming_the_provider_and_field(string because, string executable, string configFile, string version, string problem)
    {
        Files();
        var definition = new ProviderDefinition
        {
            Name = "p",
            Executable = executable.Replace("{dir}", directory, StringComparison.Ordinal),
            ConfigFile = configFile,
            InterfaceVersion = version,
        };

        Assert.True(
            definition.Validate().SequenceEqual([problem.Replace("{dir}", directory, StringComparison.Ordinal)]),
            $"{because}: got [{string.Join("; ", definition.Validate())}]");
        Assert.Throws<ArgumentException>(() => new ExternalProvider(definition, "controller-1"));
    }

    [Theory]
    [InlineData("", "v0.1.0", false)]
    [InlineData("v0.1.0", "v0.1.0", false)]
    [InlineData("v0.1.1", "v0.1.1", true)]
    public void An_empty_interface_version_means_v010(string configured, string sent, bool v011)
    {
        Files();
        var definition = new ProviderDefinition { Name = "p", Executable = Path.Combine(directory, "exec"), InterfaceVersion = configured };

        Assert.Empty(definition.Validate());
        Assert.Equal((sent, v011), (definition.EffectiveInterfaceVersion, definition.SpeaksV011));
    }

    [Fact]
    public void The_catalog_finds_providers_by_name_and_names_the_configured_ones_when_asked_for_another()
    {
        Files();
        var catalog = new ProviderCatalog(
            [
                new ProviderDefinition { Name = "lxd", Executable = Path.Combine(directory, "exec") },
                ProcessProviderExecutable.Definition(),
            ],
            "controller-1");

        Assert.Equal("lxd", catalog.Get("lxd").Name);
        Assert.Equal("process", catalog.Get("process").Name);
        var missing = Assert.Throws<KeyNotFoundException>(() => catalog.Get("openstack"));
        Assert.Equal("provider \"openstack\" is not configured (configured: lxd, process)", missing.Message);
    }

    [Fact]
    public void A_catalog_from_configuration_takes_names_from_keys_and_adds_the_built_in_process_provider()
    {
        Files();
        var exec = Path.Combine(directory, "exec");
        var configured = new Dictionary<string, ProviderDefinition> { ["incus"] = new() { Executable = exec } };

        var withDefault = ProviderCatalog.FromConfiguration(configured, "controller-1", ProcessProviderExecutable.Definition());
        var overridden = ProviderCatalog.FromConfiguration(
            new Dictionary<string, ProviderDefinition> { ["process"] = new() { Executable = exec } }, "controller-1", ProcessProviderExecutable.Definition());

        Assert.Equal(["incus", "process"], withDefault.Names);
        Assert.Equal(exec, ((ExternalProvider)overridden.Get("process")).Definition.Executable);
    }

    [Fact]
    public void The_catalog_refuses_duplicate_names_and_lists_every_problem()
    {
        Files();
        var exec = Path.Combine(directory, "exec");

        var error = Assert.Throws<ArgumentException>(() => new ProviderCatalog(
            [
                new ProviderDefinition { Name = "lxd", Executable = exec },
                new ProviderDefinition { Name = "lxd", Executable = exec },
                new ProviderDefinition { Name = "bad", Executable = exec, Timeout = TimeSpan.Zero },
            ],
            "controller-1"));

        Assert.Contains("provider \"bad\": timeout must be positive", error.Message, StringComparison.Ordinal);
        Assert.Contains("provider \"lxd\" is configured 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_in_provider_is_found_with_its_dll_beside_it()
    {
        var path = ProcessProviderExecutable.Locate();

        Assert.True(File.Exists(path + ".dll"), path);
        Assert.Empty(ProcessProviderExecutable.Definition().Validate());
    }

    [Theory]
    [InlineData("default bin layout", "repo/tests/Lifecycle.Tests/bin/Release/net10.0", "repo/src/ProcessProvider/bin/Release/net10.0")]
    [InlineData("artifacts layout", "artifacts/bin/Lifecycle.Tests/release", "artifacts/bin/Lifecycle.ProcessProvider/release")]
    [InlineData("published beside the worker", "app", "app")]
    public void The_built_in_provider_is_found_beside_the_program_or_its_build_folders(string because, string programDir, string providerDir)
    {
        var program = Directory.CreateDirectory(Path.Combine(directory, programDir)).FullName;
        var provider = Directory.CreateDirectory(Path.Combine(directory, providerDir)).FullName;
        Directory.CreateDirectory(Path.Combine(directory, "repo", "src", "ProcessProvider"));
        File.WriteAllText(Path.Combine(provider, ProcessProviderExecutable.FileName), string.Empty);
        File.WriteAllText(Path.Combine(provider, ProcessProviderExecutable.FileName + ".dll"), string.Empty);

        // A copy of the apphost without its dll (what a project reference leaves) is skipped.
        if (program != provider)
            File.WriteAllText(Path.Combine(program, ProcessProviderExecutable.FileName), string.Empty);

        Assert.True(Path.Combine(provider, ProcessProviderExecutable.FileName) == ProcessProviderExecutable.Locate(program), because);
    }

    [Fact]
    public void A_missing_built_in_provider_is_an_error_listing_where_it_looked()
    {
        var program = Directory.CreateDirectory(Path.Combine(directory, "nowhere", "bin", "x")).FullName;

        var error = Assert.Throws<FileNotFoundException>(() => ProcessProviderExecutable.Locate(program));

        Assert.StartsWith("the lifecycle-process-provider executable was not found (build src/ProcessProvider, or set LIFECYCLE_PROCESS_PROVIDER); searched: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(program, "lifecycle-process-provider"), error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private void Files()
    {
        var exec = Path.Combine(directory, "exec");
        var plain = Path.Combine(directory, "plain");
        File.WriteAllText(exec, "#!/bin/sh\n");
        File.WriteAllText(plain, "#!/bin/sh\n");
        File.SetUnixFileMode(exec, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
