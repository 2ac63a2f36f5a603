using System.Diagnostics;
using System.Net;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>scripts/demo-seed.sh (run by scripts/run.sh) against the real API: seeds once, reuses its ids on a restart.</summary>
public sealed class DemoSeedTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"demo-seed-{Guid.NewGuid():N}");
    private ApiTestHost api = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(dataDirectory);
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, "api-token"), ApiTestHost.Token);
        api = await ApiTestHost.StartAsync(database.DataSource);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task The_seed_makes_a_process_template_whose_active_preset_wants_3_and_a_second_run_reuses_it()
    {
        var first = await RunSeedAsync();
        var state = (await File.ReadAllLinesAsync(Path.Combine(dataDirectory, "demo.env"))).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var preset = (await api.GetAsync($"/api/v1/presets/{state["preset_id"]}")).Body;
        var template = (await api.GetAsync($"/api/v1/templates/{state["template_id"]}")).Body;
        var admin = (await api.GetAsync($"/api/v1/users/{state["admin_id"]}")).Body;

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(3, preset.GetProperty("desired_instances").GetInt32());
        Assert.True(preset.GetProperty("active").GetBoolean());
        Assert.Equal("process", template.GetProperty("provider_name").GetString());
        Assert.Contains("template-admin", admin.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains($"curl -s -H 'Authorization: Bearer {ApiTestHost.Token}' {api.Url.TrimEnd('/')}/api/v1/presets/{state["preset_id"]}", first.Output, StringComparison.Ordinal);
        Assert.Contains($"claim one:\n  curl -s -X POST -H 'Authorization: Bearer {ApiTestHost.Token}' -H 'Content-Type: application/json' {api.Url.TrimEnd('/')}/api/v1/workspaces/claim --data '{{\"preset_id\":\"{state["preset_id"]}\",\"owner_id\":\"{state["admin_id"]}\",\"name\":\"my-workspace\"}}'", first.Output, StringComparison.Ordinal);
        var organizations = await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM organizations");

        var second = await RunSeedAsync();

        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("demo already seeded", second.Output, StringComparison.Ordinal);
        Assert.Equal(organizations, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM organizations"));
        var printed = (await api.SendRawAsync(HttpMethod.Get, $"/api/v1/presets/{state["preset_id"]}", null)).Status;
        Assert.Equal(HttpStatusCode.OK, printed);
    }

    private async Task<(int ExitCode, string Output)> RunSeedAsync()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "scripts", "demo-seed.sh")))
            directory = directory.Parent;
        var script = Path.Combine(directory?.FullName ?? throw new FileNotFoundException("scripts/demo-seed.sh not found above the test output"), "scripts", "demo-seed.sh");
        var start = new ProcessStartInfo("bash", [script, api.Url, dataDirectory]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment.Remove("LIFECYCLE_API_TOKEN");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
