using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;
using Temporalio.Worker;
using Xunit;

namespace TemporalDev.Tests.Persistence;

/// <summary>
/// <c>--db-filename</c>: a server killed with SIGKILL and launched again on the same file resumes where it was,
/// with a real worker before the kill and a new one after it.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("temporal-dev-persist-").FullName;

    private string DbFile => Path.Combine(directory, "dev.db");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task TimerWorkflowCompletesAfterRestart()
    {
        var id = $"timer-{Guid.NewGuid():N}";
        var result = await AcrossRestartAsync(
            async (client, queue) =>
            {
                var handle = await client.StartWorkflowAsync((PersistTimerWorkflow w) => w.RunAsync(), new(id, queue));
                await UntilAsync(async () => (await handle.FetchHistoryAsync()).Events.Any(e => e.EventType == EventType.TimerStarted), "timer started");
            },
            async (client, _) =>
            {
                var handle = client.GetWorkflowHandle<PersistTimerWorkflow>(id);
                var result = await handle.GetResultAsync<string>();
                var events = (await handle.FetchHistoryAsync()).Events;
                var started = events.Single(e => e.EventType == EventType.TimerStarted).EventTime.ToDateTime();
                var fired = events.Single(e => e.EventType == EventType.TimerFired).EventTime.ToDateTime();
                Assert.True(fired - started >= TimeSpan.FromSeconds(2), $"the timer fired {fired - started} after it started, before its 2 s");
                return result;
            });
        Assert.Equal("timer fired", result);
    }

    [Fact]
    public async Task CompletedUpdateIsDeduplicatedByItsIdAfterRestart()
    {
        var id = $"update-{Guid.NewGuid():N}";
        var (again, next, result) = await AcrossRestartAsync(
            async (client, queue) =>
            {
                var handle = await client.StartWorkflowAsync((PersistCounterWorkflow w) => w.RunAsync(), new(id, queue));
                Assert.Equal(1, await handle.ExecuteUpdateAsync(w => w.AddAsync(), new("first-update")));
            },
            async (client, _) =>
            {
                var handle = client.GetWorkflowHandle<PersistCounterWorkflow>(id);
                var again = await handle.ExecuteUpdateAsync(w => w.AddAsync(), new("first-update"));
                var next = await handle.ExecuteUpdateAsync(w => w.AddAsync(), new("second-update"));
                await handle.SignalAsync(w => w.FinishAsync());
                return (again, next, await handle.GetResultAsync<int>());
            });
        Assert.Equal(1, again);
        Assert.Equal(2, next);
        Assert.Equal(2, result);
    }

    [Fact]
    public async Task SearchAttributesAndSchedulesSurviveTheKill()
    {
        var id = $"indexed-{Guid.NewGuid():N}";
        var queue = $"persist-{Guid.NewGuid():N}";
        var scheduleId = $"schedule-{Guid.NewGuid():N}";
        await using (var server = await DevServerProcess.StartAsync(DbFile))
        {
            var client = await ConnectAsync(server.Address);
            var add = new Temporalio.Api.OperatorService.V1.AddSearchAttributesRequest { Namespace = "default" };
            add.SearchAttributes["Fleet"] = IndexedValueType.Keyword;
            await client.OperatorService.AddSearchAttributesAsync(add);
            var start = StartRequest(id, queue, "indexed-start");
            start.SearchAttributes = new Temporalio.Api.Common.V1.SearchAttributes();
            start.SearchAttributes.IndexedFields["Fleet"] = Temporalio.Converters.DataConverter.Default.PayloadConverter.ToPayload("blue");
            await client.WorkflowService.StartWorkflowExecutionAsync(start);
            await client.CreateScheduleAsync(
                scheduleId,
                new(
                    ScheduleActionStartWorkflow.Create("PersistTimer", [], new(id: $"scheduled-{scheduleId}", taskQueue: queue)),
                    new ScheduleSpec { Intervals = [new(TimeSpan.FromHours(1))] })
                {
                    State = new ScheduleState { Paused = true, Note = "paused before the kill" },
                });
            await server.KillAsync();
        }

        await using var restarted = await DevServerProcess.StartAsync(DbFile);
        var client2 = await ConnectAsync(restarted.Address);
        var listed = new List<string>();
        await foreach (var execution in client2.ListWorkflowsAsync("Fleet = 'blue'")) listed.Add(execution.Id);
        Assert.Equal([id], listed);
        var described = await client2.GetScheduleHandle(scheduleId).DescribeAsync();
        Assert.True(described.Schedule.State.Paused);
        Assert.Equal("paused before the kill", described.Schedule.State.Note);
        Assert.Equal(TimeSpan.FromHours(1), Assert.Single(described.Schedule.Spec.Intervals).Every);
    }

    [Fact]
    public async Task SignalSentAfterRestartCompletesTheWorkflow()
    {
        var id = $"signal-{Guid.NewGuid():N}";
        var result = await AcrossRestartAsync(
            async (client, queue) =>
            {
                var handle = await client.StartWorkflowAsync((PersistSignalWorkflow w) => w.RunAsync(), new(id, queue));
                await UntilAsync(async () => (await handle.FetchHistoryAsync()).Events.Any(e => e.EventType == EventType.WorkflowTaskCompleted), "first workflow task completed");
            },
            async (client, _) =>
            {
                var handle = client.GetWorkflowHandle<PersistSignalWorkflow>(id);
                await handle.SignalAsync(w => w.ProceedAsync("after restart"));
                return await handle.GetResultAsync<string>();
            });
        Assert.Equal("signaled after restart", result);
    }

    [Fact]
    public async Task ActivityRunningWhenKilledIsRetriedWithAttemptTwoAndItsHeartbeat()
    {
        var id = $"activity-{Guid.NewGuid():N}";
        var (result, attempts) = await AcrossRestartAsync(
            async (client, queue) =>
            {
                var handle = await client.StartWorkflowAsync((PersistActivityWorkflow w) => w.RunAsync(), new(id, queue));
                await UntilAsync(
                    async () => (await DescribeAsync(client, id)).PendingActivities.SingleOrDefault() is { State: PendingActivityState.Started, HeartbeatDetails: not null },
                    "attempt 1 started and heartbeated");
            },
            async (client, _) =>
            {
                var handle = client.GetWorkflowHandle<PersistActivityWorkflow>(id);
                var result = await handle.GetResultAsync<string>();
                var started = (await handle.FetchHistoryAsync()).Events.Where(e => e.EventType == EventType.ActivityTaskStarted).Select(e => e.ActivityTaskStartedEventAttributes.Attempt);
                return (result, started.ToList());
            });
        Assert.Equal("attempt 2 resumed from progress-1", result);
        Assert.Equal(new[] { 2 }, attempts);
    }

    [Fact]
    public async Task ActivityWaitingOutItsRetryBackoffIsDispatchedAfterRestartWithItsAttemptAndHeartbeat()
    {
        var id = $"backoff-{Guid.NewGuid():N}";
        var afterRestart = new PersistenceActivities();
        var result = await AcrossRestartAsync(
            async (client, queue) =>
            {
                await client.StartWorkflowAsync((PersistBackoffWorkflow w) => w.RunAsync(), new(id, queue));
                await UntilAsync(
                    async () => (await DescribeAsync(client, id)).PendingActivities.SingleOrDefault() is { Attempt: 2, State: PendingActivityState.Scheduled, LastFailure: not null },
                    "attempt 1 failed and attempt 2 waits out its backoff");
            },
            (client, _) => client.GetWorkflowHandle(id).GetResultAsync<string>(),
            afterRestart);
        Assert.Equal("attempt 2 resumed from progress-1", result);
        Assert.Equal(new[] { 2 }, afterRestart.Attempts);
    }

    [Fact]
    public async Task CompletedWorkflowHistoryAndDescriptionAreIdenticalAfterRestart()
    {
        var id = $"echo-{Guid.NewGuid():N}";
        ByteString? before = null;
        WorkflowExecutionStatus beforeStatus = default;
        var after = await AcrossRestartAsync(
            async (client, queue) =>
            {
                var handle = await client.StartWorkflowAsync((PersistEchoWorkflow w) => w.RunAsync("kept"), new(id, queue));
                Assert.Equal("echo kept", await handle.GetResultAsync());
                before = (await RawHistoryAsync(client, id)).ToByteString();
                beforeStatus = (await DescribeAsync(client, id)).WorkflowExecutionInfo.Status;
            },
            async (client, _) =>
            {
                Assert.Equal(beforeStatus, (await DescribeAsync(client, id)).WorkflowExecutionInfo.Status);
                return (await RawHistoryAsync(client, id)).ToByteString();
            });
        Assert.Equal(WorkflowExecutionStatus.Completed, beforeStatus);
        Assert.True(before!.Length > 0);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task DuplicateStartWithTheSameRequestIdAfterRestartIsDeduplicated()
    {
        var id = $"dedupe-{Guid.NewGuid():N}";
        string? firstRunId = null;
        var (again, other) = await AcrossRestartAsync(
            async (client, queue) =>
            {
                firstRunId = (await client.WorkflowService.StartWorkflowExecutionAsync(StartRequest(id, queue, "request-1"))).RunId;
                var handle = client.GetWorkflowHandle(id);
                await UntilAsync(async () => (await handle.FetchHistoryAsync()).Events.Any(e => e.EventType == EventType.WorkflowTaskCompleted), "first workflow task completed");
            },
            async (client, queue) =>
            {
                var again = await client.WorkflowService.StartWorkflowExecutionAsync(StartRequest(id, queue, "request-1"));
                var other = await Assert.ThrowsAsync<RpcException>(() => client.WorkflowService.StartWorkflowExecutionAsync(StartRequest(id, queue, "request-2")));
                await client.GetWorkflowHandle<PersistSignalWorkflow>(id).SignalAsync(w => w.ProceedAsync("done"));
                return (again, other);
            });
        Assert.Equal(firstRunId, again.RunId);
        Assert.True(again.Started);
        Assert.Equal(RpcException.StatusCode.AlreadyExists, other.Code);
    }

    [Fact]
    public async Task ContinueAsNewChainIsFollowedAcrossRestart()
    {
        var id = $"chain-{Guid.NewGuid():N}";
        string? firstRunId = null;
        var result = await AcrossRestartAsync(
            async (client, queue) =>
            {
                var handle = await client.StartWorkflowAsync((PersistChainWorkflow w) => w.RunAsync(0, 3), new(id, queue));
                firstRunId = handle.ResultRunId;
                await UntilAsync(async () => (await client.GetWorkflowHandle(id).DescribeAsync()).RunId != firstRunId, "the first continue-as-new");
            },
            (client, _) => client.GetWorkflowHandle<PersistChainWorkflow>(id, runId: firstRunId).GetResultAsync<string>());
        Assert.Equal("finished at 3", result);
    }

    [Fact]
    public async Task ChildStaysLinkedToItsParentAcrossRestart()
    {
        var id = $"parent-{Guid.NewGuid():N}";
        var childId = $"{id}-child";
        var (result, parentOfChild, pendingChildRunId, childRunId) = await AcrossRestartAsync(
            async (client, queue) =>
            {
                await client.StartWorkflowAsync((PersistParentWorkflow w) => w.RunAsync(childId), new(id, queue));
                var child = client.GetWorkflowHandle(childId);
                await UntilAsync(
                    async () => (await DescribeAsync(client, id)).WorkflowExecutionInfo.HistoryLength > 0
                        && (await client.GetWorkflowHandle(id).FetchHistoryAsync()).Events.Any(e => e.EventType == EventType.ChildWorkflowExecutionStarted)
                        && (await child.FetchHistoryAsync()).Events.Any(e => e.EventType == EventType.WorkflowTaskCompleted),
                    "child started and waiting for its signal");
            },
            async (client, _) =>
            {
                var childDescription = await DescribeAsync(client, childId);
                var parentDescription = await DescribeAsync(client, id);
                await client.GetWorkflowHandle<PersistSignalWorkflow>(childId).SignalAsync(w => w.ProceedAsync("linked"));
                var result = await client.GetWorkflowHandle(id).GetResultAsync<string>();
                return (result, childDescription.WorkflowExecutionInfo.ParentExecution?.WorkflowId, parentDescription.PendingChildren.Single().RunId, childDescription.WorkflowExecutionInfo.Execution.RunId);
            });
        Assert.Equal("parent got signaled linked", result);
        Assert.Equal(id, parentOfChild);
        Assert.Equal(childRunId, pendingChildRunId);
    }

    [Fact]
    public async Task SignalAcknowledgedWhileAWorkflowTaskIsStartedSurvivesTheKill()
    {
        var id = $"buffered-{Guid.NewGuid():N}";
        var queue = $"persist-{Guid.NewGuid():N}";
        await using (var server = await DevServerProcess.StartAsync(DbFile))
        {
            // A hand-driven worker: it takes the first workflow task and never answers it.
            var client = await ConnectAsync(server.Address);
            await client.WorkflowService.StartWorkflowExecutionAsync(StartRequest(id, queue, "buffered-start"));
            await HandPollAsync(client, queue);
            await client.WorkflowService.SignalWorkflowExecutionAsync(SignalRequest(id, "buffered"));
            await server.KillAsync();
        }

        await using var restarted = await DevServerProcess.StartAsync(DbFile);
        var client2 = await ConnectAsync(restarted.Address);

        // The same signal again (same request id) is a duplicate the restarted server must drop.
        await client2.WorkflowService.SignalWorkflowExecutionAsync(SignalRequest(id, "duplicate"));
        var types = (await RawHistoryAsync(client2, id)).Events.Select(e => e.EventType).ToList();
        // The retry after the timed-out attempt is transient (attempt 2): its events reach history only when it completes.
        Assert.Equal(
            [
                EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted,
                EventType.WorkflowTaskTimedOut, EventType.WorkflowExecutionSignaled,
            ],
            types);
        using var worker = NewWorker(client2, queue);
        var result = await worker.ExecuteAsync(() => client2.GetWorkflowHandle(id).GetResultAsync<string>().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("signaled buffered", result);
    }

    [Fact]
    public async Task WorkflowTaskScheduledBeforeTheKillIsDispatchedAfterRestart()
    {
        // The state a continue-as-new or a start leaves when the kill comes before any worker polls.
        var id = $"scheduled-{Guid.NewGuid():N}";
        var queue = $"persist-{Guid.NewGuid():N}";
        await using (var server = await DevServerProcess.StartAsync(DbFile))
        {
            var client = await ConnectAsync(server.Address);
            await client.WorkflowService.StartWorkflowExecutionAsync(EchoStartRequest(id, queue, "scheduled"));
            await server.KillAsync();
        }

        Assert.Equal("echo scheduled", await EchoAfterRestartAsync(id, queue));
    }

    [Fact]
    public async Task RetryOfAFailedWorkflowTaskIsDispatchedAfterRestart()
    {
        // A failed attempt's retry is transient (no event in history), so only the failure tells the restarted server to retry.
        var id = $"retry-{Guid.NewGuid():N}";
        var queue = $"persist-{Guid.NewGuid():N}";
        await using (var server = await DevServerProcess.StartAsync(DbFile))
        {
            var client = await ConnectAsync(server.Address);
            await client.WorkflowService.StartWorkflowExecutionAsync(EchoStartRequest(id, queue, "retried"));
            var task = await HandPollAsync(client, queue);
            await client.WorkflowService.RespondWorkflowTaskFailedAsync(new RespondWorkflowTaskFailedRequest
            {
                Namespace = "default",
                TaskToken = task.TaskToken,
                Cause = WorkflowTaskFailedCause.WorkflowWorkerUnhandledFailure,
                Failure = new Temporalio.Api.Failure.V1.Failure { Message = "hand-driven failure" },
                Identity = "hand-driven",
            });
            await server.KillAsync();
        }

        Assert.Equal("echo retried", await EchoAfterRestartAsync(id, queue));
    }

    public static TheoryData<string, string> RefusedFiles => new()
    {
        { "random bytes", "is not a SQLite database" },
        { "foreign SQLite", "did not create" },
        { "newer schema", "newer temporal-dev" },
    };

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public async Task RefusesAFileThatIsNotItsOwn(string file, string message)
    {
        switch (file)
        {
            case "random bytes":
                await File.WriteAllBytesAsync(DbFile, Enumerable.Range(0, 8192).Select(i => (byte)(i * 7919 % 251)).ToArray());
                break;
            case "foreign SQLite":
                Sqlite("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('kept')");
                break;
            default:
                Sqlite("PRAGMA application_id = 1413768566; PRAGMA user_version = 99; CREATE TABLE future (x)");
                break;
        }

        var content = await File.ReadAllBytesAsync(DbFile);
        var (exitCode, stderr) = await DevServerProcess.RefusedAsync(DbFile);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains(DbFile, stderr, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(DbFile));
    }

    [Fact]
    public async Task RefusesItsOwnFileWithACorruptRecord()
    {
        await using (var server = await DevServerProcess.StartAsync(DbFile))
        {
            await server.KillAsync();
        }

        Sqlite(
            """
            INSERT INTO runs (seq, run_id, namespace, workflow_id, status, start_request_id, request_ids, start_time, execution_time, parent_initiated_event_id)
            VALUES (42, 'run-42', 'default', 'wf-42', 1, 'r', '', 0, 0, 0);
            INSERT INTO history_events (run_seq, event_id, data) VALUES (42, 1, x'ffffffffffff');
            """);
        var (exitCode, stderr) = await DevServerProcess.RefusedAsync(DbFile);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("is corrupt", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAFileAnotherServerHolds()
    {
        await using var first = await DevServerProcess.StartAsync(DbFile);
        var (exitCode, stderr) = await DevServerProcess.RefusedAsync(DbFile);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("in use by another process", stderr, StringComparison.Ordinal);
    }

    private void Sqlite(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DbFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs <paramref name="before"/> with a worker, kills the server (SIGKILL), relaunches it on the same file and runs <paramref name="after"/> with a new worker.</summary>
    private async Task<T> AcrossRestartAsync<T>(Func<ITemporalClient, string, Task> before, Func<ITemporalClient, string, Task<T>> after, PersistenceActivities? afterActivities = null)
    {
        var queue = $"persist-{Guid.NewGuid():N}";
        await using (var server = await DevServerProcess.StartAsync(DbFile))
        {
            var client = await ConnectAsync(server.Address);
            using var stop = new CancellationTokenSource();
            using var worker = NewWorker(client, queue);
            var running = worker.ExecuteAsync(stop.Token);
            try
            {
                await before(client, queue);
            }
            finally
            {
                await server.KillAsync();
                await stop.CancelAsync();
                try
                {
                    await running.WaitAsync(TimeSpan.FromSeconds(60));
                }
                catch (OperationCanceledException)
                {
                    // The worker stops by cancellation.
                }
            }
        }

        await using var restarted = await DevServerProcess.StartAsync(DbFile);
        var client2 = await ConnectAsync(restarted.Address);
        using var worker2 = NewWorker(client2, queue, afterActivities);
        return await worker2.ExecuteAsync(() => after(client2, queue).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private static TemporalWorker NewWorker(ITemporalClient client, string queue, PersistenceActivities? activities = null) => new(
        client,
        new TemporalWorkerOptions(queue)
            .AddWorkflow<PersistTimerWorkflow>()
            .AddWorkflow<PersistSignalWorkflow>()
            .AddWorkflow<PersistActivityWorkflow>()
            .AddWorkflow<PersistChainWorkflow>()
            .AddWorkflow<PersistEchoWorkflow>()
            .AddWorkflow<PersistParentWorkflow>()
            .AddWorkflow<PersistBackoffWorkflow>()
            .AddWorkflow<PersistCounterWorkflow>()
            .AddAllActivities(activities ?? new PersistenceActivities()));

    /// <summary>Takes the queue's workflow task as a hand-driven worker would.</summary>
    private static async Task<PollWorkflowTaskQueueResponse> HandPollAsync(TemporalClient client, string queue)
    {
        var task = await client.WorkflowService.PollWorkflowTaskQueueAsync(new PollWorkflowTaskQueueRequest
        {
            Namespace = "default",
            TaskQueue = new TaskQueue { Name = queue },
            Identity = "hand-driven",
        });
        Assert.False(task.TaskToken.IsEmpty);
        return task;
    }

    private async Task<string> EchoAfterRestartAsync(string id, string queue)
    {
        await using var restarted = await DevServerProcess.StartAsync(DbFile);
        var client = await ConnectAsync(restarted.Address);
        using var worker = NewWorker(client, queue);
        return await worker.ExecuteAsync(() => client.GetWorkflowHandle(id).GetResultAsync<string>().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static StartWorkflowExecutionRequest EchoStartRequest(string id, string queue, string text) => new()
    {
        Namespace = "default",
        WorkflowId = id,
        WorkflowType = new Temporalio.Api.Common.V1.WorkflowType { Name = "PersistEcho" },
        TaskQueue = new TaskQueue { Name = queue },
        RequestId = $"start-{id}",
        Input = new Temporalio.Api.Common.V1.Payloads { Payloads_ = { Temporalio.Converters.DataConverter.Default.PayloadConverter.ToPayload(text) } },
    };

    private static StartWorkflowExecutionRequest StartRequest(string id, string queue, string requestId) => new()
    {
        Namespace = "default",
        WorkflowId = id,
        WorkflowType = new Temporalio.Api.Common.V1.WorkflowType { Name = "PersistSignal" },
        TaskQueue = new TaskQueue { Name = queue },
        RequestId = requestId,
    };

    private static SignalWorkflowExecutionRequest SignalRequest(string id, string value) => new()
    {
        Namespace = "default",
        WorkflowExecution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = id },
        SignalName = "Proceed",
        Input = new Temporalio.Api.Common.V1.Payloads { Payloads_ = { Temporalio.Converters.DataConverter.Default.PayloadConverter.ToPayload(value) } },
        RequestId = "signal-1",
        Identity = "hand-driven",
    };

    private static async Task<Temporalio.Api.History.V1.History> RawHistoryAsync(ITemporalClient client, string id) =>
        (await client.WorkflowService.GetWorkflowExecutionHistoryAsync(new GetWorkflowExecutionHistoryRequest
        {
            Namespace = "default",
            Execution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = id },
        })).History;

    private static Task<DescribeWorkflowExecutionResponse> DescribeAsync(ITemporalClient client, string id) =>
        client.WorkflowService.DescribeWorkflowExecutionAsync(new DescribeWorkflowExecutionRequest
        {
            Namespace = "default",
            Execution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = id },
        });

    /// <summary>Connects once Kestrel accepts connections (the server prints its banner just before).</summary>
    private static async Task<TemporalClient> ConnectAsync(string address)
    {
        for (var tries = 0; ; tries++)
        {
            try
            {
                return await TemporalClient.ConnectAsync(new(address));
            }
            catch (InvalidOperationException) when (tries < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Polls for a state the server reaches on its own (a worker's progress), failing after 30 s.</summary>
    private static async Task UntilAsync(Func<Task<bool>> reached, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await reached())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not reached within 30 s: {what}");
            await Task.Delay(50);
        }
    }
}
