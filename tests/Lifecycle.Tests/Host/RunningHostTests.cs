using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Xunit;

namespace Lifecycle.Tests.Host;

/// <summary>
/// The real worker executable, started as operators start it against a real PostgreSQL database and a real (wall-clock)
/// temporal-dev server: <c>/healthz</c> names both dependencies and answers 200, <c>/metrics</c> serves Prometheus text
/// with the host's own metrics, and the API on the same port refuses a request without the token (401) and serves it
/// with the token.
/// </summary>
public sealed class RunningHostTests(WallClockTemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<WallClockTemporalFixture>, IClassFixture<PostgresDatabase>
{
    private const string Token = "running-host-token-0123456789abcdef0123";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Healthz_metrics_and_the_api_answer_on_the_running_host()
    {
        var port = LoopbackPort.Free();
        var data = Path.Combine(Path.GetTempPath(), "lifecycle-tests", $"host-{Guid.NewGuid():N}");
        // stderr stays undrained: a worker that exits early is reported with it.
        using var worker = WorkerProcess.Start("dotnet", WorkerProcess.WorkerArguments, Path.GetTempPath(), drainOutput: true, drainError: false, environment: new()
        {
            ["LIFECYCLE_DATABASE_URL"] = database.ConnectionString,
            ["LIFECYCLE_TEMPORAL_ADDRESS"] = temporal.Client.Connection.Options.TargetHost!,
            ["LIFECYCLE_TEMPORAL_TASK_QUEUE"] = temporal.NewTaskQueue(),
            ["LIFECYCLE_HTTP_URL"] = $"http://127.0.0.1:{port}",
            ["LIFECYCLE_API_TOKEN"] = Token,
            ["LIFECYCLE_DATA_DIR"] = data,
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            var health = await HealthyAsync(http, worker);
            Assert.Equal("ok", health.GetProperty("status").GetString());
            Assert.True(health.GetProperty("database").GetProperty("ok").GetBoolean(), health.ToString());
            Assert.True(health.GetProperty("temporal").GetProperty("ok").GetBoolean(), health.ToString());

            using var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
            var text = await metrics.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("# TYPE ", text, StringComparison.Ordinal);
            Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);

            using var body = new StringContent("""{"name": "host-test-org"}""", Encoding.UTF8, "application/json");
            using var refused = await http.PostAsync(new Uri("/api/v1/organizations", UriKind.Relative), body);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/organizations", UriKind.Relative))
            {
                Content = new StringContent($$"""{"name": "host-test-{{Guid.NewGuid():N}}"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var served = await http.SendAsync(request);
            Assert.True(served.StatusCode == HttpStatusCode.Created, await served.Content.ReadAsStringAsync());
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
                await worker.WaitForExitAsync();
            }
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing was written.
            }
        }
    }

    private static async Task<JsonElement> HealthyAsync(HttpClient http, Process worker)
    {
        var deadline = DateTime.UtcNow + Limit;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (worker.HasExited)
                throw new InvalidOperationException($"the worker exited with {worker.ExitCode}: {await worker.StandardError.ReadToEndAsync()}");
            try
            {
                using var answer = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                last = $"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}";
                if (answer.StatusCode == HttpStatusCode.OK)
                    return JsonDocument.Parse(last[4..]).RootElement.Clone();
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        throw new TimeoutException($"the worker was not healthy within {Limit}; last answer: {last}");
    }
}
