using System.Diagnostics;
using Npgsql;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;

namespace Lifecycle.Worker.Hosting;

/// <summary><c>GET /healthz</c>: 200 when both the database and Temporal answer, 503 with the failing part named otherwise.</summary>
public static class HealthEndpoint
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    /// <summary>One dependency's answer.</summary>
    public sealed record Check(bool Ok, double LatencyMs, string? Error);

    /// <summary>The body of /healthz.</summary>
    public sealed record Report(string Status, Check Database, Check Temporal);

    public static IEndpointRouteBuilder MapLifecycleHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", async (NpgsqlDataSource database, ITemporalClient temporal, CancellationToken cancellationToken) =>
        {
            var databaseCheck = RunAsync(async token =>
            {
                await using var command = database.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(token);
            }, cancellationToken);
            var temporalCheck = RunAsync(async token =>
            {
                // GetSystemInfo rather than the gRPC health service: every Temporal frontend (and temporal-dev) answers it.
                await temporal.Connection.WorkflowService.GetSystemInfoAsync(
                    new GetSystemInfoRequest(), new RpcOptions { Timeout = CheckTimeout, CancellationToken = token, Retry = false });
            }, cancellationToken);
            var report = new Report("ok", await databaseCheck, await temporalCheck);
            var ok = report.Database.Ok && report.Temporal.Ok;
            return Results.Json(report with { Status = ok ? "ok" : "unavailable" }, statusCode: ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }

    private static async Task<Check> RunAsync(Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        var watch = Stopwatch.StartNew();
        try
        {
            await check(timeout.Token);
            return new Check(true, watch.Elapsed.TotalMilliseconds, null);
        }
        catch (Exception e)
        {
            var error = e is OperationCanceledException ? $"no answer within {CheckTimeout.TotalSeconds:0} s" : e.Message.Split('\n')[0];
            return new Check(false, watch.Elapsed.TotalMilliseconds, error);
        }
    }
}
