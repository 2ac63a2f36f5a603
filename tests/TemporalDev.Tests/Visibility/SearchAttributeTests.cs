using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;
using Xunit;
using static TemporalDev.Tests.Visibility.VisibilityFixture;

namespace TemporalDev.Tests.Visibility;

/// <summary>
/// The search attribute registry: launch flags, OperatorService Add/List/Remove with the real server's errors, and
/// typed values checked on start, signal-with-start and the upsert command.
/// </summary>
[Collection(VisibilityCollection.Name)]
public sealed class SearchAttributeTests(VisibilityFixture fixture)
{
    private string Namespace => fixture.Client.Options.Namespace;

    [Fact]
    public async Task Launch_flags_register_every_type_and_the_namespace_maps_them_to_columns()
    {
        var listed = await fixture.Client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = Namespace });
        var described = await fixture.Client.Connection.WorkflowService.DescribeNamespaceAsync(new() { Namespace = Namespace });

        foreach (var key in LaunchAttributes) Assert.Equal(key.ValueType, listed.CustomAttributes[key.Name]);
        Assert.Equal(IndexedValueType.Keyword, listed.SystemAttributes["WorkflowId"]);
        Assert.Equal(IndexedValueType.Datetime, listed.SystemAttributes["StartTime"]);
        Assert.Equal(IndexedValueType.KeywordList, listed.SystemAttributes["BuildIds"]);
        Assert.Equal(IndexedValueType.Datetime, listed.SystemAttributes["TemporalScheduledStartTime"]);
        var aliases = described.Config.CustomSearchAttributeAliases;
        Assert.Equal("Rank", aliases["Int01"]);
        Assert.Equal("Tags", aliases["KeywordList01"]);
        Assert.Contains("Region", aliases.Values);
    }

    [Fact]
    public async Task Operator_adds_lists_and_removes_a_custom_attribute()
    {
        var operators = fixture.Client.Connection.OperatorService;
        await operators.AddSearchAttributesAsync(new() { Namespace = Namespace, SearchAttributes = { ["Owner"] = IndexedValueType.Keyword } });
        await operators.AddSearchAttributesAsync(new() { Namespace = Namespace, SearchAttributes = { ["Owner"] = IndexedValueType.Keyword } });
        var afterAdd = await operators.ListSearchAttributesAsync(new() { Namespace = Namespace });

        var id = $"owner-{Guid.NewGuid():N}";
        var owner = SearchAttributeKey.CreateKeyword("Owner");
        var handle = await fixture.Client.StartWorkflowAsync("VisibilityProbe", Array.Empty<object?>(), new(id, $"owner-{Guid.NewGuid():N}")
        {
            TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(owner, "platform").ToSearchAttributeCollection(),
        });
        var found = await fixture.Client.ListWorkflowsAsync($"Owner = 'platform' AND WorkflowId = '{id}'").Select(w => w.Id).ToListAsync();
        await handle.TerminateAsync("test over");

        await operators.RemoveSearchAttributesAsync(new() { Namespace = Namespace, SearchAttributes = { "Owner", "NeverAdded" } });
        var afterRemove = await operators.ListSearchAttributesAsync(new() { Namespace = Namespace });
        var query = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.CountWorkflowsAsync("Owner = 'platform'"));

        Assert.Equal(IndexedValueType.Keyword, afterAdd.CustomAttributes["Owner"]);
        Assert.Equal([id], found);
        Assert.False(afterRemove.CustomAttributes.ContainsKey("Owner"));
        Assert.Contains("column name 'Owner' is not a valid search attribute", query.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("WorkflowId", IndexedValueType.Keyword, "Search attribute WorkflowId is reserved by system.")]
    [InlineData("TemporalScheduledById", IndexedValueType.Keyword, "Search attribute TemporalScheduledById is reserved by system.")]
    [InlineData("Bad-Name", IndexedValueType.Keyword, "Bad-Name")]
    [InlineData("Untyped", IndexedValueType.Unspecified, "Unknown search attribute type: 0.")]
    public async Task Operator_refuses_reserved_names_bad_names_and_unknown_types(string name, IndexedValueType type, string expected)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.Connection.OperatorService.AddSearchAttributesAsync(
            new() { Namespace = Namespace, SearchAttributes = { [name] = type } }));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, e.Code);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_refuses_more_attributes_of_a_type_than_the_columns_and_adds_none_of_them()
    {
        var request = new AddSearchAttributesRequest { Namespace = Namespace };
        foreach (var name in new[] { "FlagOne", "FlagTwo", "FlagThree" }) request.SearchAttributes[name] = IndexedValueType.Bool;

        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.Connection.OperatorService.AddSearchAttributesAsync(request));
        var listed = await fixture.Client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = Namespace });

        Assert.Equal("Unable to create search attributes: cannot have more than 3 search attribute of type Bool.", e.Message);
        Assert.DoesNotContain(listed.CustomAttributes.Keys, k => k.StartsWith("Flag", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Operator_refuses_to_remove_a_built_in_attribute()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.Connection.OperatorService.RemoveSearchAttributesAsync(
            new() { Namespace = Namespace, SearchAttributes = { "WorkflowType" } }));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, e.Code);
        Assert.Equal("Unable to remove non-custom search attributes: WorkflowType.", e.Message);
    }

    public static TheoryData<string, SearchAttributeCollection, string> BadStarts { get; } = new()
    {
        { "unknown", Single(SearchAttributeKey.CreateKeyword("NeverRegistered"), "x"), "search attribute NeverRegistered is not defined" },
        { "wrong type", Single(SearchAttributeKey.CreateKeyword("Rank"), "high"), "invalid value for search attribute Rank of type Int: \"high\"" },
        { "system attribute", Single(SearchAttributeKey.CreateKeyword("WorkflowId"), "x"), "WorkflowId attribute can't be set in SearchAttributes" },
    };

    [Theory]
    [MemberData(nameof(BadStarts))]
    public async Task A_start_with_a_bad_attribute_is_InvalidArgument_and_starts_nothing(string problem, SearchAttributeCollection attributes, string expected)
    {
        var id = $"bad-start-{Guid.NewGuid():N}";
        var options = new WorkflowOptions(id, "bad-start") { TypedSearchAttributes = attributes };
        var start = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.StartWorkflowAsync("VisibilityProbe", Array.Empty<object?>(), options));
        options.SignalWithStart("go", Array.Empty<object?>());
        var signalWithStart = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.StartWorkflowAsync("VisibilityProbe", Array.Empty<object?>(), options));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, start.Code);
        Assert.True(start.Message.Contains(expected, StringComparison.Ordinal), $"{problem}: {start.Message}");
        Assert.Equal(start.Message, signalWithStart.Message);
        Assert.Equal(0, (await fixture.Client.CountWorkflowsAsync($"WorkflowId = '{id}'")).Count);
    }

    [Fact]
    public async Task Upserted_values_replace_and_unset_and_closed_runs_are_found_by_them()
    {
        var queue = $"upsert-{Guid.NewGuid():N}";
        var (set, unset) = await RunWorkerAsync(queue, async () =>
        {
            var set = await fixture.Client.StartWorkflowAsync((RegionUpsertWorkflow w) => w.RunAsync("ap-south"), new($"{queue}-set", queue)
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Region, "initial").ToSearchAttributeCollection(),
            });
            var unset = await fixture.Client.StartWorkflowAsync((RegionUpsertWorkflow w) => w.RunAsync(null), new($"{queue}-unset", queue)
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Region, "initial").ToSearchAttributeCollection(),
            });
            await set.GetResultAsync();
            await unset.GetResultAsync();
            return (set, unset);
        });

        var completed = await fixture.Client.ListWorkflowsAsync($"TaskQueue = '{queue}' AND ExecutionStatus = 'Completed' AND Region = 'ap-south'").Select(w => w.Id).ToListAsync();
        var initial = await fixture.Client.CountWorkflowsAsync($"TaskQueue = '{queue}' AND Region = 'initial'");
        var noRegion = await fixture.Client.ListWorkflowsAsync($"TaskQueue = '{queue}' AND Region IS NULL").Select(w => w.Id).ToListAsync();

        Assert.Equal([set.Id], completed);
        Assert.Equal(0, initial.Count);
        Assert.Equal([unset.Id], noRegion);
        Assert.False((await unset.DescribeAsync()).TypedSearchAttributes.ContainsKey(Region));
    }

    [Fact]
    public async Task An_upsert_of_an_unregistered_attribute_fails_the_workflow_task_with_BadSearchAttributes()
    {
        var queue = $"bad-upsert-{Guid.NewGuid():N}";
        var failed = await RunWorkerAsync(queue, async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((UnregisteredUpsertWorkflow w) => w.RunAsync(), new($"{queue}-wf", queue));
            try
            {
                return await FirstEventAsync(handle, e => e.WorkflowTaskFailedEventAttributes);
            }
            finally
            {
                await handle.TerminateAsync("test over");
            }
        });

        Assert.Equal(WorkflowTaskFailedCause.BadSearchAttributes, failed.Cause);
        Assert.Equal("search attribute NeverRegistered is not defined", failed.Failure.Message);
    }

    [Fact]
    public async Task Continue_as_new_carries_its_attributes_to_the_next_run()
    {
        var queue = $"continue-{Guid.NewGuid():N}";
        var runs = await RunWorkerAsync(queue, async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((ContinueWithAttributesWorkflow w) => w.RunAsync(false), new($"{queue}-wf", queue)
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Rank, 7).ToSearchAttributeCollection(),
            });
            try
            {
                await FirstEventAsync(fixture.Client.GetWorkflowHandle(handle.Id), e => e.TimerStartedEventAttributes);
                return await fixture.Client.ListWorkflowsAsync($"TaskQueue = '{queue}'").ToListAsync();
            }
            finally
            {
                await fixture.Client.GetWorkflowHandle(handle.Id).TerminateAsync("test over");
            }
        });

        Assert.Equal([WorkflowExecutionStatus.Running, WorkflowExecutionStatus.ContinuedAsNew], runs.Select(r => r.Status));
        Assert.Equal("continued", runs[0].TypedSearchAttributes.Get(Region));
        Assert.Equal(7, runs[0].TypedSearchAttributes.Get(Rank));
        Assert.False(runs[1].TypedSearchAttributes.ContainsKey(Region));
    }

    private static SearchAttributeCollection Single<T>(SearchAttributeKey<T> key, T value)
        where T : notnull => new SearchAttributeCollection.Builder().Set(key, value).ToSearchAttributeCollection();

    private async Task<T> RunWorkerAsync<T>(string queue, Func<Task<T>> body)
    {
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(queue)
            .AddWorkflow<RegionUpsertWorkflow>()
            .AddWorkflow<UnregisteredUpsertWorkflow>()
            .AddWorkflow<ContinueWithAttributesWorkflow>());
        return await worker.ExecuteAsync(body);
    }

    /// <summary>Waits (long-polling the history) for the first event that has the given attributes.</summary>
    private static async Task<TAttributes> FirstEventAsync<TAttributes>(WorkflowHandle handle, Func<HistoryEvent, TAttributes?> attributes)
        where TAttributes : class
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var history = await handle.FetchHistoryAsync(new() { Rpc = new() { CancellationToken = deadline.Token } });
            if (history.Events.Select(attributes).FirstOrDefault(a => a is not null) is { } found) return found;
            await Task.Delay(50, deadline.Token);
        }
    }
}
