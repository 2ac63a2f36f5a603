using Google.Protobuf;
using Lifecycle.Testing.Temporal;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;
using Xunit;

namespace TemporalDev.Tests.Schedules;

/// <summary>The schedule RPCs' contracts: duplicate create, conflict tokens, delete, list and paging.</summary>
[Collection(SchedulesCollection.Name)]
public sealed class ScheduleApiTests(TemporalFixture temporal)
{
    private static ScheduleSpec Hourly() => new() { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))] };

    [Fact]
    public async Task Creating_an_existing_schedule_raises_already_running()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Creating_an_existing_schedule_raises_already_running));
        await scope.CreateAsync(Hourly());

        await Assert.ThrowsAsync<ScheduleAlreadyRunningException>(() => scope.CreateAsync(Hourly()));
    }

    [Fact]
    public async Task Update_uses_the_conflict_token_and_a_stale_token_is_refused()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Update_uses_the_conflict_token_and_a_stale_token_is_refused));
        var handle = await scope.CreateAsync(Hourly());
        var before = await RawAsync(scope.Id);

        await handle.UpdateAsync(u => new ScheduleUpdate(u.Description.Schedule with
        {
            Spec = new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromMinutes(5))] },
        }));

        var after = await RawAsync(scope.Id);
        Assert.Equal(TimeSpan.FromMinutes(5), Assert.Single(after.Schedule.Spec.Interval).Interval.ToTimeSpan());
        var stale = before.ConflictToken;
        Assert.NotEqual(stale, after.ConflictToken);

        var e = await Assert.ThrowsAsync<RpcException>(() => temporal.Client.WorkflowService.UpdateScheduleAsync(new UpdateScheduleRequest
        {
            Namespace = temporal.Client.Options.Namespace,
            ScheduleId = scope.Id,
            Schedule = after.Schedule,
            ConflictToken = stale,
            RequestId = Guid.NewGuid().ToString(),
        }));
        Assert.Equal(RpcException.StatusCode.FailedPrecondition, e.Code);
        Assert.Equal("mismatched conflict token", e.Message);

        // Without a token the update is unconditional.
        await temporal.Client.WorkflowService.UpdateScheduleAsync(new UpdateScheduleRequest
        {
            Namespace = temporal.Client.Options.Namespace,
            ScheduleId = scope.Id,
            Schedule = before.Schedule,
            ConflictToken = ByteString.Empty,
            RequestId = Guid.NewGuid().ToString(),
        });
        Assert.Equal(TimeSpan.FromHours(1), Assert.Single((await handle.DescribeAsync()).Schedule.Spec.Intervals).Every);
    }

    [Fact]
    public async Task Deleted_schedule_is_not_found()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Deleted_schedule_is_not_found));
        var handle = await scope.CreateAsync(Hourly());

        await handle.DeleteAsync();

        var e = await Assert.ThrowsAsync<RpcException>(() => handle.DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, e.Code);
        await Assert.ThrowsAsync<RpcException>(() => handle.PauseAsync());
    }

    [Fact]
    public async Task List_returns_each_schedule_with_its_memo_and_info_and_pages()
    {
        await using var first = ScheduleScope.Start(temporal, "ListA");
        await using var second = ScheduleScope.Start(temporal, "ListB");
        await using var third = ScheduleScope.Start(temporal, "ListC");
        await first.CreateAsync(Hourly(), options: new ScheduleOptions { Memo = new Dictionary<string, object> { ["team"] = "platform" } });
        await second.CreateAsync(Hourly(), state: new ScheduleState { Paused = true, Note = "held" });
        await third.CreateAsync(Hourly());

        var listed = new Dictionary<string, ScheduleListDescription>();
        await foreach (var entry in temporal.Client.ListSchedulesAsync())
        {
            listed[entry.Id] = entry;
        }

        var a = listed[first.Id];
        Assert.Equal("platform", await a.Memo["team"].ToValueAsync<string>());
        Assert.Equal("ScheduledWorkflow", ((ScheduleListActionStartWorkflow)a.Schedule!.Action).Workflow);
        Assert.Equal(TimeSpan.FromHours(1), Assert.Single(a.Schedule!.Spec.Intervals).Every);
        Assert.Equal(5, a.Info!.NextActionTimes.Count);
        var b = listed[second.Id];
        Assert.True(b.Schedule!.State.Paused);
        Assert.Equal("held", b.Schedule!.State.Note);
        Assert.Empty(listed[third.Id].Memo);

        var page1 = await temporal.Client.WorkflowService.ListSchedulesAsync(new ListSchedulesRequest { Namespace = temporal.Client.Options.Namespace, MaximumPageSize = 2 });
        Assert.Equal(2, page1.Schedules.Count);
        Assert.False(page1.NextPageToken.IsEmpty);
        var page2 = await temporal.Client.WorkflowService.ListSchedulesAsync(new ListSchedulesRequest
        {
            Namespace = temporal.Client.Options.Namespace,
            MaximumPageSize = 2,
            NextPageToken = page1.NextPageToken,
        });
        Assert.Empty(page1.Schedules.Select(s => s.ScheduleId).Intersect(page2.Schedules.Select(s => s.ScheduleId)));
    }

    [Fact]
    public async Task List_filters_by_a_query_on_the_schedule_id_and_the_paused_flag()
    {
        await using var paused = ScheduleScope.Start(temporal, "QueryPaused");
        await using var active = ScheduleScope.Start(temporal, "QueryActive");
        await paused.CreateAsync(Hourly(), state: new ScheduleState { Paused = true });
        await active.CreateAsync(Hourly());

        async Task<List<string>> ListAsync(string query) =>
            [.. (await temporal.Client.WorkflowService.ListSchedulesAsync(new ListSchedulesRequest { Namespace = temporal.Client.Options.Namespace, Query = query }))
                .Schedules.Select(s => s.ScheduleId)];

        Assert.Equal([paused.Id], await ListAsync($"TemporalSchedulePaused = true AND ScheduleId IN ('{paused.Id}', '{active.Id}')"));
        Assert.Equal([active.Id], await ListAsync($"TemporalSchedulePaused = false AND ScheduleId IN ('{paused.Id}', '{active.Id}')"));
        Assert.Empty(await ListAsync($"ScheduleId = '{active.Id}' AND TemporalSchedulePaused = true"));
        var e = await Assert.ThrowsAsync<RpcException>(() => ListAsync("TemporalSchedulePaused = "));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, e.Code);
    }

    private Task<DescribeScheduleResponse> RawAsync(string id) =>
        temporal.Client.WorkflowService.DescribeScheduleAsync(new DescribeScheduleRequest { Namespace = temporal.Client.Options.Namespace, ScheduleId = id });

    [Fact]
    public async Task Matching_times_lists_the_spec_times_in_a_range()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Matching_times_lists_the_spec_times_in_a_range));
        await scope.CreateAsync(Hourly());
        var from = new DateTime(2027, 6, 1, 0, 30, 0, DateTimeKind.Utc);

        var response = await temporal.Client.WorkflowService.ListScheduleMatchingTimesAsync(new ListScheduleMatchingTimesRequest
        {
            Namespace = temporal.Client.Options.Namespace,
            ScheduleId = scope.Id,
            StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(from),
            EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(from.AddHours(3)),
        });

        Assert.Equal([from.AddMinutes(30), from.AddMinutes(90), from.AddMinutes(150)], response.StartTime.Select(t => t.ToDateTime()));
    }
}
