using System.Diagnostics;
using System.Globalization;
using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Workspaces;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client;
using Temporalio.Worker;

namespace Instances.Bench;

/// <summary>
/// Issue 6's workspace benchmark, on temporal-dev in dev mode (wall clock) and the private PostgreSQL:
/// <list type="number">
/// <item>N workspaces created for their owners (the API's no-prebuild path: <see cref="FreshWorkspaces"/> rows, the
/// real Instance workflow on the instant provider) with an autostart ~12 h away and an 8 h TTL, left to settle; then
/// the transactions and table accesses they cause in PostgreSQL over an idle window (target 0 per minute).</item>
/// <item>M of them stopped by their owner and given an autostart at one of LATE_MINUTES whole minutes two minutes
/// apart (so one burst's autostops, a minute after its start builds end, do not meet the next burst's autostarts) and a
/// 1 minute TTL: each then autostarts and, a minute after that start build ends, autostops. Lateness = the build row's
/// <c>created_at</c> (the workflow clock when it acted: the start of the workflow task the timer woke) minus the due
/// time, and the row's commit (a bench-only <c>clock_timestamp()</c> default) minus the due time.</item>
/// </list>
/// </summary>
internal static class WorkspaceBench
{
    private static readonly TimeSpan IdleTtl = TimeSpan.FromHours(8);
    private static readonly TimeSpan LateTtl = TimeSpan.FromMinutes(1);

    public static async Task<int> RunAsync(
        ITemporalClient client, PostgresDatabase database, BenchFleet fleet, InstanceActivityOptions instanceOptions, ProviderDefinition instant, int count)
    {
        ArgumentNullException.ThrowIfNull(instanceOptions);
        // Issue 6's lateness is measured on bursts of 50 autostarts due in the same second (run 3 onwards): 150 in 3 bursts.
        var lateCount = Setting("LATE_WORKSPACES", Math.Min(150, Math.Max(1, count / 2)));
        var lateMinutes = Setting("LATE_MINUTES", Math.Max(1, (lateCount + 49) / 50));
        var idleSeconds = Setting("IDLE_SECONDS", 60);
        var inFlight = Setting("SETUP_IN_FLIGHT", 100);
        // At load 50 a new connection can take longer than Npgsql's 15 s default to open: give the pool a minute. At most 60 connections: the cluster allows 100 and other pools share it.
        await using var dataSource = StoreDataSource.Create(new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Timeout = 60, CommandTimeout = 120, MaxPoolSize = 60 }.ConnectionString);
        var controllerId = instanceOptions.ControllerId;
        var instanceActivities = new InstanceActivities(
            new InstanceStore(dataSource), new ProviderCatalog([instant], controllerId), Microsoft.Extensions.Options.Options.Create(instanceOptions), NullLogger<InstanceActivities>.Instance);
        Print($"workspaces: N={count}, M={lateCount} over {lateMinutes} minute(s), idle window {idleSeconds} s; {Load()}");

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            // The bench's own template creates on the instant provider; the commit time of each build row is kept
            // in a column only this benchmark's private database has.
            await connection.ExecuteAsync(
                """
                UPDATE templates SET provider_name = @Provider WHERE id = @Template;
                ALTER TABLE workspace_builds ADD COLUMN bench_written_at timestamptz NOT NULL DEFAULT clock_timestamp();
                """,
                new { Provider = InstantProvider.Name, Template = fleet.TemplateId });
        }
        var owners = await OwnersAsync(dataSource, (count / 100) + 1);
        var target = await FreshWorkspaces.ReadTargetAsync(dataSource, fleet.PresetId) ?? throw new InvalidOperationException("the bench preset is missing");
        var workspaceActivities = new WorkspaceActivities(new WorkspaceStore(dataSource), new InstanceStore(dataSource), new ProviderCatalog([instant], controllerId));

        var queue = $"bench-workspaces-{Guid.NewGuid():N}";
        // The worker's pollers as the product configures them (LIFECYCLE_WORKER_WORKFLOW_POLLERS, default 10); the SDK's other defaults match the product's.
        var options = new TemporalWorkerOptions(queue) { WorkflowTaskPollerBehavior = new Temporalio.Worker.Tuning.PollerBehavior.SimpleMaximum(Setting("WORKFLOW_POLLERS", 10)) }
            .AddWorkflow<InstanceWorkflow>().AddAllActivities(instanceActivities).AddAllActivities(workspaceActivities);
        // The same schema that nobody uses: what the cluster itself (autovacuum) does to a database in the window.
        var control = new PostgresDatabase();
        await control.InitializeAsync();
        using var commands = new NpgsqlCommands();
        var exitCode = 0;
        using var worker = new TemporalWorker(client, options);
        await worker.ExecuteAsync(async () =>
        {
            // ---- N workspaces, far from anything due.
            var idleAt = DateTimeOffset.UtcNow.AddHours(12);
            var idleSchedule = $"CRON_TZ=UTC {idleAt.Minute} {idleAt.Hour} * * *";
            var clock = Stopwatch.StartNew();
            var cpuBefore = ProcessCpu.Sample();
            var commandsAtStart = commands.Count;
            // At most SETUP_IN_FLIGHT workspaces between their start and the workspace phase: set-up is CPU-bound on
            // this machine, and thousands of runs in flight at once only lengthen every queue (workflow tasks time out,
            // the workflow cache evicts runs mid-create and replays them).
            var started = 0;
            var enteredSoFar = 0;
            using var setUpDone = new CancellationTokenSource();
            var progress = FollowSetUpAsync(dataSource, count, inFlight, clock, () => Volatile.Read(ref started), n => Volatile.Write(ref enteredSoFar, n), setUpDone.Token);
            var workspaces = await ForEachAsync(Enumerable.Range(0, count), 16, async i =>
            {
                while (Volatile.Read(ref started) - Volatile.Read(ref enteredSoFar) >= inFlight)
                    await Task.Delay(TimeSpan.FromMilliseconds(20));
                Interlocked.Increment(ref started);
                var owner = owners[i / 100];
                var settings = WorkspaceScheduleRequest.ForClaim(DateTimeOffset.UtcNow, idleSchedule, IdleTtl, AutomaticUpdates.Never, target.Policy);
                var made = await FreshWorkspaces.InsertAsync(dataSource, target, owner, $"bench-{i}", settings)
                    ?? throw new InvalidOperationException($"workspace bench-{i}: name taken");
                var input = new InstanceWorkflowInput(made.InstanceId, made.InstanceName, made.ProviderName, made.PresetId, made.TemplateId, made.BootstrapTimeout, new CreateRetryPolicy());
                // No agent runs on an instant machine: the ready callback is sent with the start and waits as a flag.
                await client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new(WorkflowIds.Instance(made.InstanceId), queue) { StartSignal = "ready" });
                return (made.InstanceId, Owner: owner);
            });
            await setUpDone.CancelAsync();
            await progress;
            var ids = workspaces.Select(w => w.InstanceId).ToArray();
            Print($"workspaces: {count} rows and workflows started in {clock.Elapsed.TotalSeconds:F1} s (at most {inFlight} in flight); {Load()}");
            var entered = await WaitCountAsync(
                dataSource, "SELECT count(*) FROM workspace_builds WHERE workspace_id = ANY(@Ids) AND build_number = 1 AND deadline IS NOT NULL", ids, count, TimeSpan.FromMinutes(60));
            Print($"workspaces: {entered}/{count} in the workspace phase (deadline set) after {clock.Elapsed.TotalSeconds:F1} s ({entered / clock.Elapsed.TotalSeconds:F1}/s); {Load()}");
            Print($"workspaces: set-up {ProcessCpu.Sample() - cpuBefore} (wall {clock.Elapsed.TotalSeconds:F1} s × {Environment.ProcessorCount} cores); {(commands.Count - commandsAtStart) / (double)count:F1} PostgreSQL commands per workspace");
            if (entered != count)
                exitCode = 1;

            // ---- Idle: after the last writes (a reload follows each), a vacuum so autovacuum has nothing to do, and the stats flush.
            await Task.Delay(TimeSpan.FromSeconds(15));
            await using (var vacuum = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString))
            {
                await vacuum.OpenAsync();
                await vacuum.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 600);
            }
            await Task.Delay(TimeSpan.FromSeconds(12));
            var admin = database.Server.ConnectionString("postgres");
            var before = await IdleQueries.SampleAsync(admin, database.ConnectionString, database.Name, opening: true);
            var controlBefore = await IdleQueries.SampleAsync(admin, control.ConnectionString, control.Name, opening: true);
            var commandsBefore = commands.Count;
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var commandsIdle = commands.Count - commandsBefore;
            var windowLoad = Load();
            // Counters of the window's last seconds reach the view up to 10 s later; they are counted, so the window is 11 s longer.
            await Task.Delay(TimeSpan.FromSeconds(11));
            var idle = await IdleQueries.SampleAsync(admin, database.ConnectionString, database.Name, opening: false) - before;
            var background = await IdleQueries.SampleAsync(admin, control.ConnectionString, control.Name, opening: false) - controlBefore;
            var minutes = (idleSeconds + 11) / 60.0;
            Print($"idle: {count} workspaces, {idleSeconds} s: {commandsIdle} commands sent by the worker process (Npgsql tracing) = {commandsIdle * 60.0 / idleSeconds:F1}/min (target 0); {windowLoad}");
            Print($"idle: database over {idleSeconds + 11} s: {idle.Transactions} transactions ({idle.Transactions / minutes:F1}/min), {idle.TableScans} table scans, {idle.RowsWritten} rows written; an untouched copy of the schema in the same cluster (autovacuum's visits): {background.Transactions} transactions, {background.TableScans} scans");
            if (commandsIdle != 0 || idle.TableScans != 0 || idle.RowsWritten != 0)
                exitCode = 1;

            // ---- Lateness: M workspaces stopped, then an autostart at one of the next whole minutes and a 1 minute TTL.
            var late = workspaces.Take(lateCount).ToList();
            clock.Restart();
            await ForEachAsync(late, 32, w => Handle(client, w.InstanceId).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(w.Owner))));
            var stopped = clock.Elapsed;
            Print($"late: {lateCount} stopped by their owner in {stopped.TotalSeconds:F1} s; {Load()}");

            var now = DateTimeOffset.UtcNow;
            var first = now.AddSeconds(45 + (stopped.TotalSeconds / 2));
            first = new DateTimeOffset(first.Year, first.Month, first.Day, first.Hour, first.Minute, 0, TimeSpan.Zero).AddMinutes(1);
            var dues = await ForEachAsync(late.Select((w, i) => (w, Due: first.AddMinutes(2 * (i % lateMinutes)))), 32, async x =>
            {
                var change = new WorkspaceScheduleChange($"CRON_TZ=UTC {x.Due.Minute} {x.Due.Hour} * * *", LateTtl, null, x.w.Owner);
                var view = await Handle(client, x.w.InstanceId).ExecuteUpdateAsync(wf => wf.ChangeWorkspaceScheduleAsync(change));
                return (x.w.InstanceId, x.Due, Planned: view.NextStartAt);
            });
            var missed = dues.Count(d => d.Planned != d.Due);
            Print($"late: schedules set {(first - DateTimeOffset.UtcNow).TotalSeconds:F1} s before the first due minute {first:HH:mm:ss}; {missed} planned for another time (excluded); {Load()}");
            var due = dues.Where(d => d.Planned == d.Due).ToDictionary(d => d.InstanceId, d => d.Due);
            var lateIds = due.Keys.ToArray();
            var waitLimit = first.AddMinutes((2 * lateMinutes) + LateTtl.TotalMinutes + 10) - DateTimeOffset.UtcNow;
            var autostopped = await WaitCountAsync(
                dataSource, "SELECT count(*) FROM workspace_builds WHERE workspace_id = ANY(@Ids) AND reason = 'autostop'", lateIds, lateIds.Length, waitLimit);
            var lastLoad = Load();

            var builds = await BuildsAsync(dataSource, lateIds);
            var startActed = new List<double>();
            var startWritten = new List<double>();
            var stopActed = new List<double>();
            var stopWritten = new List<double>();
            var toSplit = new List<(Guid Id, bool Stop, DateTimeOffset Due, DateTimeOffset CreatedAt)>();
            foreach (var group in builds.GroupBy(b => b.WorkspaceId))
            {
                var start = group.FirstOrDefault(b => b.Reason == "autostart");
                if (start is null)
                    continue;
                startActed.Add((start.CreatedAt - due[group.Key]).TotalMilliseconds);
                startWritten.Add((start.BenchWrittenAt - due[group.Key]).TotalMilliseconds);
                toSplit.Add((group.Key, false, due[group.Key], start.CreatedAt));
                var stop = group.FirstOrDefault(b => b.Reason == "autostop" && b.BuildNumber == start.BuildNumber + 1);
                if (stop is null || start.Deadline is not { } deadline)
                    continue;
                stopActed.Add((stop.CreatedAt - deadline).TotalMilliseconds);
                stopWritten.Add((stop.BenchWrittenAt - deadline).TotalMilliseconds);
                toSplit.Add((group.Key, true, deadline, stop.CreatedAt));
            }
            Print($"late: {startActed.Count}/{lateIds.Length} autostarted, {autostopped}/{lateIds.Length} autostopped; {lastLoad}");
            Print($"late: autostart, workflow acted  {Percentiles(startActed)} (bursts of ~{lateIds.Length / lateMinutes}, every other whole minute)");
            Print($"late: autostart, row committed   {Percentiles(startWritten)}");
            Print($"late: autostop,  workflow acted  {Percentiles(stopActed)}");
            Print($"late: autostop,  row committed   {Percentiles(stopWritten)}");

            // Where the time went, from the server's event times in each workflow's history.
            var splits = await ForEachAsync(toSplit, 8, async x =>
                (x.Stop, Split: LatenessSplit.Of(await LatenessSplit.FetchAsync(client, WorkflowIds.Instance(x.Id), x.CreatedAt), x.Due, x.CreatedAt)));
            foreach (var line in LatenessSplit.Describe("late: autostart", [.. splits.Where(s => !s.Stop && s.Split is not null).Select(s => s.Split!)])
                .Concat(LatenessSplit.Describe("late: autostop", [.. splits.Where(s => s.Stop && s.Split is not null).Select(s => s.Split!)])))
                Print($"{line}");
            if (startActed.Count != lateIds.Length || stopActed.Count != lateIds.Length || Percentile(startActed, 0.99) > 250 || Percentile(stopActed, 0.99) > 250)
                exitCode = 1;

            clock.Restart();
            await ForEachAsync(ids, 64, id => Handle(client, id).TerminateAsync("benchmark over"));
            Print($"workspaces: {ids.Length} workflows terminated in {clock.Elapsed.TotalSeconds:F1} s");
        });
        await control.DisposeAsync();
        return exitCode;
    }

    private static WorkflowHandle<InstanceWorkflow> Handle(ITemporalClient client, Guid id) => client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(id));

    private static async Task<Guid[]> OwnersAsync(Npgsql.NpgsqlDataSource dataSource, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO users (id, username, status) SELECT id, 'bench-' || id::text, 'active' FROM unnest(@Ids) AS u(id)", new { Ids = ids });
        return ids;
    }

    /// <summary>Keeps the count of workspaces in the workspace phase fresh for the set-up window, printing the rate every 30 s.</summary>
    private static async Task FollowSetUpAsync(
        Npgsql.NpgsqlDataSource dataSource, int count, int inFlight, Stopwatch clock, Func<int> started, Action<int> entered, CancellationToken done)
    {
        var printed = TimeSpan.Zero;
        while (!done.IsCancellationRequested)
        {
            await using (var connection = await dataSource.OpenConnectionAsync(CancellationToken.None))
            {
                // Every workspace of this private database is the benchmark's.
                var n = await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM workspace_builds WHERE build_number = 1 AND deadline IS NOT NULL");
                entered(n);
                if (clock.Elapsed - printed >= TimeSpan.FromSeconds(30))
                {
                    printed = clock.Elapsed;
                    Print($"  set-up: {n}/{count} in the workspace phase, {started() - n} in flight (≤ {inFlight}), {n / clock.Elapsed.TotalSeconds:F1}/s; {Load()}");
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), done);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<int> WaitCountAsync(Npgsql.NpgsqlDataSource dataSource, string sql, Guid[] ids, int expected, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var polls = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var done = await connection.ExecuteScalarAsync<int>(sql, new { Ids = ids });
            if (done >= expected || DateTime.UtcNow > deadline)
                return done;
            if (++polls % 15 == 0)
            {
                var states = await connection.QueryAsync<(string, long)>(
                    "SELECT instance_status, count(*) FROM workspaces WHERE id = ANY(@Ids) GROUP BY 1 ORDER BY 1", new { Ids = ids });
                Print($"  … {done}/{expected}; instance states {string.Join(", ", states.Select(s => $"{s.Item1} {s.Item2}"))}; {Load()}");
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    private static async Task<List<BuildTimes>> BuildsAsync(Npgsql.NpgsqlDataSource dataSource, Guid[] ids)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<BuildTimes>(
            """
            SELECT workspace_id, build_number, reason::text AS reason, created_at, bench_written_at, deadline
            FROM workspace_builds WHERE workspace_id = ANY(@Ids) AND reason IN ('autostart', 'autostop') ORDER BY workspace_id, build_number
            """,
            new { Ids = ids })];
    }

    private static async Task<List<TResult>> ForEachAsync<T, TResult>(IEnumerable<T> items, int parallel, Func<T, Task<TResult>> body)
    {
        using var gate = new SemaphoreSlim(parallel);
        var tasks = items.Select(async item =>
        {
            await gate.WaitAsync();
            try
            {
                return await body(item);
            }
            finally
            {
                gate.Release();
            }
        });
        return [.. await Task.WhenAll(tasks)];
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, int parallel, Func<T, Task> body) =>
        _ = await ForEachAsync(items, parallel, async item =>
        {
            await body(item);
            return true;
        });

    private static double Percentile(List<double> sorted, double q)
    {
        if (sorted.Count == 0)
            return double.NaN;
        sorted.Sort();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string Percentiles(List<double> values) =>
        values.Count == 0
            ? "no samples"
            : string.Create(CultureInfo.InvariantCulture,
                $"n={values.Count}: p50 {Percentile(values, 0.5):F0} ms, p95 {Percentile(values, 0.95):F0} ms, p99 {Percentile(values, 0.99):F0} ms, max {Percentile(values, 1):F0} ms, min {Percentile(values, 0):F0} ms");

    private static string Load() => "load " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static void Print(FormattableString line) =>
        Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] " + line.ToString(CultureInfo.InvariantCulture));

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>An autostart or autostop build's times.</summary>
    private sealed record BuildTimes
    {
        public Guid WorkspaceId { get; init; }

        public int BuildNumber { get; init; }

        public string Reason { get; init; } = "";

        public DateTimeOffset CreatedAt { get; init; }

        public DateTimeOffset BenchWrittenAt { get; init; }

        public DateTimeOffset? Deadline { get; init; }
    }
}
