using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lifecycle.ProcessProvider;

/// <summary>
/// The process that *is* an instance: it reports ready with <c>POST {callback-url}/ready</c> and
/// <c>Authorization: Bearer {instance-token}</c>, retrying with backoff while the API is unreachable or refuses,
/// then idles until it is stopped or deleted (SIGTERM, then SIGKILL to its process group).
/// </summary>
internal static class Agent
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string recordPath)
    {
        var record = JsonSerializer.Deserialize<InstanceRecord>(await File.ReadAllTextAsync(recordPath), Wire.Json)
            ?? throw new InvalidOperationException($"instance record {recordPath} is empty");
        Log($"agent for instance {record.Name} ({record.ProviderId}) started, pid {Environment.ProcessId}");

        if (record.CallbackUrl.Length == 0)
            Log("no callback-url in the bootstrap params: not reporting ready");
        else
            await ReportReadyAsync(record);

        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    private static async Task ReportReadyAsync(InstanceRecord record)
    {
        var url = new Uri(record.CallbackUrl.TrimEnd('/') + "/ready");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var wait = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Content = JsonContent.Create(new ReadyReport(record.Name, record.ProviderId), WireJson.Default.ReadyReport),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", record.InstanceToken);
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    Log($"reported ready to {url} (attempt {attempt})");
                    return;
                }

                Log($"ready callback {url} answered {(int)response.StatusCode}; retrying in {wait.TotalSeconds:0.0} s");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Log($"ready callback {url} failed ({e.Message}); retrying in {wait.TotalSeconds:0.0} s");
            }

            await Task.Delay(wait);
            wait = wait * 2 > MaxRetry ? MaxRetry : wait * 2;
        }
    }

    private static void Log(string message) =>
        Console.Out.WriteLine($"{DateTimeOffset.UtcNow:O} {message}");
}
