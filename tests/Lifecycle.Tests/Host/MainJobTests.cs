using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Xunit;

namespace Lifecycle.Tests.Host;

/// <summary>
/// The main job, as a new user meets it: the real worker executable with the built-in <c>process</c> provider,
/// then scripts/demo-seed.sh (what scripts/run.sh runs) seeding a template whose preset wants 3 prebuilds; the 3 become
/// ready through their agents' callbacks, and the claim line the seed prints hands one over with its deadline at the
/// template's default TTL (5 min) after the claim. PostgreSQL and Temporal (wall-clock temporal-dev) are the test's, not
/// the embedded ones: the embedded defaults themselves are covered by <c>StoreBootstrapTests</c> and the launcher tests.
/// </summary>
public sealed class MainJobTests(WallClockTemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<WallClockTemporalFixture>, IClassFixture<PostgresDatabase>
{
    private const string Token = "main-job-token-0123456789abcdef0123456789";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_demo_seed_makes_three_prebuilds_ready_and_its_printed_claim_line_hands_one_over()
    {
        var port = LoopbackPort.Free();
        var home = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"main-job-{Guid.NewGuid():N}");
        Directory.CreateDirectory(home);
        var baseUrl = $"http://127.0.0.1:{port}";
        using var worker = WorkerProcess.Start("dotnet", WorkerProcess.WorkerArguments, home, drainOutput: true, drainError: true, environment: new()
        {
            ["LIFECYCLE_DATABASE_URL"] = database.ConnectionString,
            ["LIFECYCLE_TEMPORAL_ADDRESS"] = temporal.Client.Connection.Options.TargetHost!,
            ["LIFECYCLE_TEMPORAL_TASK_QUEUE"] = temporal.NewTaskQueue(),
            ["LIFECYCLE_HTTP_URL"] = baseUrl,
            ["LIFECYCLE_API_TOKEN"] = Token,
            ["LIFECYCLE_DATA_DIR"] = Path.Combine(home, ".lifecycle"),
            ["LIFECYCLE_RECONCILE_INTERVAL"] = "00:00:05",
        });
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        try
        {
            var seed = await RunAsync("bash", [Script(), baseUrl, Path.Combine(home, ".lifecycle"), worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], home, new() { ["LIFECYCLE_API_TOKEN"] = Token });
            Assert.True(seed.ExitCode == 0, seed.Output);
            var lines = seed.Output.Split('\n');
            var claimLine = lines.SkipWhile(l => !l.EndsWith("claim one:", StringComparison.Ordinal)).Skip(1).FirstOrDefault()?.Trim()
                ?? throw new InvalidOperationException($"the seed printed no claim line: {seed.Output}");
            Assert.StartsWith("curl -s -X POST", claimLine, StringComparison.Ordinal);
            var preset = JsonDocument.Parse(claimLine[(claimLine.IndexOf("--data '", StringComparison.Ordinal) + 8)..^1]).RootElement.GetProperty("preset_id").GetGuid();

            var state = await UntilAsync(http, $"/api/v1/presets/{preset}", p => p.GetProperty("eligible").GetInt32() == 3, "3 ready prebuilds");
            Assert.Equal(3, state.GetProperty("desired").GetInt32());

            var claimedAt = DateTimeOffset.UtcNow;
            var claim = await RunAsync("bash", ["-c", claimLine], home, []);
            Assert.True(claim.ExitCode == 0, claim.Output);
            var answer = JsonDocument.Parse(claim.Output).RootElement;
            Assert.True(answer.GetProperty("claimed_from_prebuild").GetBoolean(), claim.Output);
            Assert.Equal("my-workspace", answer.GetProperty("name").GetString());
            var id = answer.GetProperty("id").GetGuid();

            var workspace = await UntilAsync(
                http,
                $"/api/v1/workspaces/{id}",
                w => w.GetProperty("latest_build") is { ValueKind: JsonValueKind.Object } b && b.GetProperty("build_number").GetInt32() == 2 && b.GetProperty("status").GetString() == "succeeded",
                "the claim's start build");
            var deadline = workspace.GetProperty("latest_build").GetProperty("deadline").GetDateTimeOffset();
            Assert.InRange(deadline, claimedAt + TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(5), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
                await worker.WaitForExitAsync();
            }
            StopAgents(Path.Combine(home, ".lifecycle", "process-provider", "instances"));
            try
            {
                Directory.Delete(home, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    /// <summary>The agents the process provider started for this test (their pids are in its records): killed by id.</summary>
    private static void StopAgents(string records)
    {
        if (!Directory.Exists(records))
            return;
        foreach (var file in Directory.GetFiles(records, "*.json"))
        {
            if (!JsonDocument.Parse(File.ReadAllText(file)).RootElement.TryGetProperty("pid", out var pid))
                continue;
            try
            {
                using var agent = Process.GetProcessById(pid.GetInt32());
                agent.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    private static async Task<JsonElement> UntilAsync(HttpClient http, string path, Func<JsonElement, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri(path, UriKind.Relative));
                last = await answer.Content.ReadAsStringAsync();
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    var body = JsonDocument.Parse(last).RootElement.Clone();
                    if (done(body))
                        return body;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        throw new TimeoutException($"{path}: no {what} within {Limit}; last answer {last}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string directory, Dictionary<string, string> environment)
    {
        using var process = WorkerProcess.Start(file, arguments, directory, environment, drainOutput: false, drainError: false);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Script()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "scripts", "demo-seed.sh")))
            directory = directory.Parent;
        return Path.Combine(directory?.FullName ?? throw new FileNotFoundException("scripts/demo-seed.sh not found above the test output"), "scripts", "demo-seed.sh");
    }
}
