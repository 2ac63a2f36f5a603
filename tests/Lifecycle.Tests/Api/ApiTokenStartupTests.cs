using System.Diagnostics;
using Lifecycle.Worker.Hosting;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary>The real worker executable refuses to start against a configured Temporal server without an API token.</summary>
public sealed class ApiTokenStartupTests
{
    [Theory]
    [InlineData("missing", null, "invalid setting LIFECYCLE_API_TOKEN (Lifecycle:Api:Token): is missing: with a configured Temporal server (LIFECYCLE_TEMPORAL_ADDRESS) the API token must be configured (e.g. openssl rand -hex 32)")]
    [InlineData("too short", "abc", "invalid setting LIFECYCLE_API_TOKEN (Lifecycle:Api:Token): is 3 characters; use at least 16 (e.g. openssl rand -hex 32)")]
    public async Task Production_without_a_usable_token_exits_with_code_2_and_one_line(string rule, string? token, string expected)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Lifecycle.Worker.dll");
        var start = new ProcessStartInfo("dotnet", [worker])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("LIFECYCLE_", StringComparison.Ordinal)).ToArray())
            start.Environment.Remove(variable);
        start.Environment["LIFECYCLE_TEMPORAL_ADDRESS"] = "temporal.invalid:7233";
        if (token is not null)
            start.Environment["LIFECYCLE_API_TOKEN"] = token;

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;

        Assert.True(process.ExitCode == LifecycleHost.InvalidSettingExitCode, $"{rule}: exit {process.ExitCode}");
        Assert.Equal([expected], (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
