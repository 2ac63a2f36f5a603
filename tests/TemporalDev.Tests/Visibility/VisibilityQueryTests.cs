using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Xunit;
using static TemporalDev.Tests.Visibility.VisibilityFixture;

namespace TemporalDev.Tests.Visibility;

/// <summary>
/// ListWorkflowExecutions and CountWorkflowExecutions over the query language, against five probe workflows started
/// with typed attributes (no worker: they stay Running, one is terminated). Every query is scoped to the test's task
/// queue so other tests' workflows never match.
/// </summary>
[Collection(VisibilityCollection.Name)]
public sealed class VisibilityQueryTests(VisibilityFixture fixture) : IAsyncLifetime
{
    private readonly string queue = $"visibility-{Guid.NewGuid():N}";
    private readonly Dictionary<string, string> ids = [];

    public static TheoryData<string, string, string> Filters { get; } = new()
    {
        { "equals", "Region = 'us-east'", "a" },
        { "not equals skips unset", "Region != 'us-east'", "b c d" },
        { "less than", "Rank < 2", "a" },
        { "greater than", "Rank > 3", "d" },
        { "at most", "Rank <= 2", "a b" },
        { "at least", "Rank >= 3", "c d" },
        { "in", "Region IN ('us-west', 'eu-west')", "b d" },
        { "not in", "Region NOT IN ('us-west')", "a c d" },
        { "between is inclusive", "Rank BETWEEN 2 AND 3", "b c" },
        { "starts with", "Region STARTS_WITH 'eu-'", "c d" },
        { "is null", "Score IS NULL", "d e" },
        { "is not null", "Score IS NOT NULL", "a b c" },
        { "bool", "Urgent = true", "a c" },
        { "double", "Score >= 1.5", "b c" },
        { "datetime", "Due > '2026-01-15T00:00:00Z'", "b c" },
        { "keyword list contains", "Tags = 'blue'", "a b" },
        { "keyword list in", "Tags IN ('green', 'red')", "a c" },
        { "text word", "Notes = 'network'", "b" },
        { "workflow type", "WorkflowType = 'OtherProbe'", "e" },
        { "execution status", "ExecutionStatus = 'Terminated'", "d" },
        { "running", "ExecutionStatus = 'Running'", "a b c e" },
        { "close time", "CloseTime IS NOT NULL", "d" },
        { "start time", "StartTime > '2000-01-01T00:00:00Z'", "a b c d e" },
        { "AND binds tighter than OR", "Region = 'us-east' OR Region = 'us-west' AND Rank = 1", "a" },
        { "parentheses override", "(Region = 'us-east' OR Region = 'us-west') AND Rank = 2", "b" },
        { "OR of indexed and scanned terms", "Region = 'eu-west' OR Urgent = false", "b d" },
        { "nested parentheses", "((Rank = 1 OR Rank = 4) AND (Urgent = true OR Score IS NULL))", "a d" },
    };

    public async Task InitializeAsync()
    {
        await StartProbeAsync("a", "VisibilityProbe", new SearchAttributeCollection.Builder()
            .Set(Region, "us-east").Set(Rank, 1).Set(Score, 0.5).Set(Urgent, true)
            .Set(Due, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).Set(Tags, ["red", "blue"]).Set(Notes, "disk full on host"));
        await StartProbeAsync("b", "VisibilityProbe", new SearchAttributeCollection.Builder()
            .Set(Region, "us-west").Set(Rank, 2).Set(Score, 1.5).Set(Urgent, false)
            .Set(Due, new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)).Set(Tags, ["blue"]).Set(Notes, "network flaky"));
        await StartProbeAsync("c", "VisibilityProbe", new SearchAttributeCollection.Builder()
            .Set(Region, "eu-central").Set(Rank, 3).Set(Score, 2.5).Set(Urgent, true)
            .Set(Due, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)).Set(Tags, ["green"]));
        await StartProbeAsync("d", "VisibilityProbe", new SearchAttributeCollection.Builder().Set(Region, "eu-west").Set(Rank, 4));
        await StartProbeAsync("e", "OtherProbe", new SearchAttributeCollection.Builder());
        await fixture.Client.GetWorkflowHandle(ids["d"]).TerminateAsync("closed for the visibility tests");
    }

    public async Task DisposeAsync()
    {
        foreach (var name in new[] { "a", "b", "c", "e" }) await fixture.Client.GetWorkflowHandle(ids[name]).TerminateAsync("test over");
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Filter_selects_exactly_the_matching_workflows(string operation, string filter, string expected)
    {
        var found = await NamesAsync($"TaskQueue = '{queue}' AND ({filter})");

        Assert.True(
            expected.Split(' ').Order().SequenceEqual(found.Order()),
            $"{operation}: {filter} gave [{string.Join(' ', found.Order())}], expected [{expected}]");
    }

    [Fact]
    public async Task Default_order_is_open_runs_newest_first_then_closed_runs()
    {
        Assert.Equal(["e", "c", "b", "a", "d"], await NamesAsync($"TaskQueue = '{queue}'"));
    }

    [Fact]
    public async Task Order_by_sorts_ascending_with_unset_first_and_descending()
    {
        Assert.Equal(["e", "a", "b", "c", "d"], await NamesAsync($"TaskQueue = '{queue}' ORDER BY Rank"));
        Assert.Equal(["d", "c", "b", "a", "e"], await NamesAsync($"TaskQueue = '{queue}' ORDER BY Rank DESC"));
        Assert.Equal(["c", "a", "b", "e", "d"], await NamesAsync($"TaskQueue = '{queue}' ORDER BY Urgent DESC, Score DESC"));
    }

    [Fact]
    public async Task Pages_of_two_follow_each_other_without_gaps_or_repeats()
    {
        var pages = new List<List<string>>();
        byte[]? token = null;
        do
        {
            var page = await fixture.Client.ListWorkflowsPaginatedAsync($"TaskQueue = '{queue}'", token, new() { PageSize = 2 });
            pages.Add(page.Workflows.Select(w => NameOf(w.Id)).ToList());
            token = page.NextPageToken;
        }
        while (token is not null && pages.Count < 10);

        Assert.Equal([["e", "c"], ["b", "a"], ["d"]], pages);
    }

    [Fact]
    public async Task A_page_token_keeps_its_place_when_a_workflow_starts_between_pages()
    {
        var first = await fixture.Client.ListWorkflowsPaginatedAsync($"TaskQueue = '{queue}'", null, new() { PageSize = 2 });
        await StartProbeAsync("f", "VisibilityProbe", new SearchAttributeCollection.Builder());
        try
        {
            var second = await fixture.Client.ListWorkflowsPaginatedAsync($"TaskQueue = '{queue}'", first.NextPageToken, new() { PageSize = 2 });

            Assert.Equal(["b", "a"], second.Workflows.Select(w => NameOf(w.Id)));
        }
        finally
        {
            await fixture.Client.GetWorkflowHandle(ids["f"]).TerminateAsync("test over");
        }
    }

    [Fact]
    public async Task Count_totals_and_groups_by_execution_status()
    {
        var total = await fixture.Client.CountWorkflowsAsync($"TaskQueue = '{queue}'");
        var urgent = await fixture.Client.CountWorkflowsAsync($"TaskQueue = '{queue}' AND Urgent = true");
        var grouped = await fixture.Client.CountWorkflowsAsync($"TaskQueue = '{queue}' GROUP BY ExecutionStatus");

        Assert.Equal(5, total.Count);
        Assert.Empty(total.Groups);
        Assert.Equal(2, urgent.Count);
        Assert.Equal(5, grouped.Count);
        var groups = grouped.Groups.ToDictionary(g => $"{g.GroupValues.Single()}", g => g.Count);
        Assert.Equal(new Dictionary<string, long> { ["Running"] = 4, ["Terminated"] = 1 }, groups);
    }

    [Fact]
    public async Task Listed_workflows_carry_their_typed_attributes_and_status()
    {
        var listed = await fixture.Client.ListWorkflowsAsync($"WorkflowId = '{ids["a"]}'").ToListAsync();

        var a = Assert.Single(listed);
        Assert.Equal(WorkflowExecutionStatus.Running, a.Status);
        Assert.Equal("VisibilityProbe", a.WorkflowType);
        Assert.Equal(queue, a.TaskQueue);
        Assert.Equal("us-east", a.TypedSearchAttributes.Get(Region));
        Assert.Equal(1, a.TypedSearchAttributes.Get(Rank));
        Assert.Equal(["red", "blue"], a.TypedSearchAttributes.Get(Tags));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), a.TypedSearchAttributes.Get(Due));
    }

    [Theory]
    [InlineData("TaskQueue = 'x' AND", "syntax error at position")]
    [InlineData("TaskQueue = 'unterminated", "syntax error at position 13")]
    [InlineData("Nope = 'x'", "column name 'Nope' is not a valid search attribute")]
    [InlineData("Rank = 'high'", "invalid value type for search attribute Rank of type Int")]
    [InlineData("Notes STARTS_WITH 'x'", "operator 'STARTS_WITH' not supported for Text type search attribute 'Notes'")]
    [InlineData("ExecutionStatus = 'Sleeping'", "invalid ExecutionStatus value 'Sleeping'")]
    public async Task A_malformed_query_is_InvalidArgument_saying_what_and_where(string query, string expected)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.ListWorkflowsAsync(query).ToListAsync().AsTask());
        var count = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.CountWorkflowsAsync(query));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, e.Code);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("invalid query: ", e.Message, StringComparison.Ordinal);
        Assert.Equal(RpcException.StatusCode.InvalidArgument, count.Code);
    }

    private async Task StartProbeAsync(string name, string type, SearchAttributeCollection.Builder attributes)
    {
        var id = $"{queue}-{name}";
        ids[name] = id;
        await fixture.Client.StartWorkflowAsync(type, Array.Empty<object?>(), new(id, queue) { TypedSearchAttributes = attributes.ToSearchAttributeCollection() });
    }

    private async Task<List<string>> NamesAsync(string query) =>
        await fixture.Client.ListWorkflowsAsync(query).Select(w => NameOf(w.Id)).ToListAsync();

    private string NameOf(string workflowId) => ids.Single(kv => kv.Value == workflowId).Key;
}
