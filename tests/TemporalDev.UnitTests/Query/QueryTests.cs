using Temporalio.Api.Enums.V1;
using TemporalDev.Query.Evaluation;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;
using Xunit;

namespace TemporalDev.UnitTests.Query;

public class QueryTests
{
    private const string Sched = "reconcile-all-2026-11-23T11:00:00Z";

    internal static SearchAttributeRegistry Registry() => SearchAttributeRegistry.FromLaunchFlags(
    [
        "CustomKeywordField=Keyword", "CustomTextField=Text", "CustomIntField=Int", "CustomDoubleField=Double",
        "CustomBoolField=Bool", "CustomDatetimeField=Datetime", "CustomKeywordListField=KeywordList",
    ]);

    public static TheoryData<string, string, string> FilterCases() => new()
    {
        { "empty query matches everything", "", $"wf-1,wf-2,wf-3,{Sched}" },
        { "= on a keyword", "WorkflowType = 'Instance'", "wf-2,wf-3" },
        { "double-quoted string", "WorkflowType = \"Instance\"", "wf-2,wf-3" },
        { "!= on a keyword", "WorkflowType != 'Instance'", $"wf-1,{Sched}" },
        { "<> is !=", "WorkflowType <> 'Instance'", $"wf-1,{Sched}" },
        { "ExecutionStatus by name", "ExecutionStatus = 'Running'", $"wf-1,{Sched}" },
        { "ExecutionStatus by number", "ExecutionStatus = 2", "wf-2" },
        { "ExecutionStatus by proto name", "ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_FAILED'", "wf-3" },
        { "< on datetime", "StartTime < '2026-11-23T09:00:00Z'", "wf-1" },
        { "<= on datetime", "StartTime <= '2026-11-23T09:00:00Z'", "wf-1,wf-2" },
        { "> on datetime with an offset", "StartTime > '2026-11-23T10:00:00+01:00'", $"wf-3,{Sched}" },
        { ">= on int", "HistoryLength >= 20", "wf-2,wf-3" },
        { "int compared with a float literal", "HistoryLength > 19.5", "wf-2,wf-3" },
        { "double compared with an int literal", "CustomDoubleField > 2", "wf-2" },
        { "negative number", "CustomIntField > -1", "wf-1,wf-2" },
        { "bool", "CustomBoolField = true", "wf-1" },
        { "bool false", "CustomBoolField = FALSE", "wf-2" },
        { "datetime as Unix nanoseconds", "CustomDatetimeField = 1793491200000000000", "wf-1" },
        { "AND", "WorkflowType = 'Instance' AND TaskQueue = 'lifecycle'", "wf-2" },
        { "OR", "WorkflowId = 'wf-1' OR WorkflowId = 'wf-3'", "wf-1,wf-3" },
        { "AND binds tighter than OR", "WorkflowId = 'wf-1' OR WorkflowType = 'Instance' AND TaskQueue = 'other'", "wf-1,wf-3" },
        { "parentheses override precedence", "(WorkflowId = 'wf-1' OR WorkflowType = 'Instance') AND TaskQueue = 'other'", "wf-3" },
        { "nested parentheses", "((WorkflowId = 'wf-1'))", "wf-1" },
        { "NOT", "NOT WorkflowType = 'Instance'", $"wf-1,{Sched}" },
        { "keywords are case-insensitive", "WorkflowType = 'x' or WorkflowId in ('wf-2') and HistoryLength between 1 and 100", "wf-2" },
        { "IN", "WorkflowId IN ('wf-1', 'wf-3', 'nope')", "wf-1,wf-3" },
        { "NOT IN", "WorkflowId NOT IN ('wf-1', 'wf-3')", $"wf-2,{Sched}" },
        { "IN on ExecutionStatus", "ExecutionStatus IN ('Completed', 'Failed')", "wf-2,wf-3" },
        { "BETWEEN is inclusive", "HistoryLength BETWEEN 10 AND 20", "wf-1,wf-2" },
        { "NOT BETWEEN", "HistoryLength NOT BETWEEN 10 AND 20", $"wf-3,{Sched}" },
        { "BETWEEN on datetime", "StartTime BETWEEN '2026-11-23T09:00:00Z' AND '2026-11-23T10:00:00Z'", "wf-2,wf-3" },
        { "STARTS_WITH", "WorkflowId STARTS_WITH 'reconcile-all-'", Sched },
        { "NOT STARTS_WITH", "WorkflowId NOT STARTS_WITH 'wf-'", Sched },
        { "IS NULL", "CloseTime IS NULL", $"wf-1,{Sched}" },
        { "IS NOT NULL", "CloseTime IS NOT NULL", "wf-2,wf-3" },
        { "comparisons on an unset attribute are false, even !=", "CustomKeywordField != 'pool-a'", "wf-2" },
        { "keyword list = means contains", "CustomKeywordListField = 'b'", "wf-1" },
        { "keyword list IN means contains any", "CustomKeywordListField IN ('c', 'z')", "wf-2" },
        { "keyword list != means does not contain, unset included (full-text index)", "CustomKeywordListField != 'a'", $"wf-2,wf-3,{Sched}" },
        { "keyword list NOT IN, unset included", "CustomKeywordListField NOT IN ('a', 'c')", $"wf-3,{Sched}" },
        { "text = matches words, any case", "CustomTextField = 'BROWN quick'", "wf-1" },
        { "text = ORs its words", "CustomTextField = 'cat fox'", "wf-1" },
        { "text = needs a whole word", "CustomTextField = 'bro'", "" },
        { "text != excludes matches, unset included", "CustomTextField != 'fox'", $"wf-2,wf-3,{Sched}" },
        { "backquoted name", "`CustomKeywordField` = 'pool-b'", "wf-2" },
        { "scheduler search attributes", "TemporalScheduledById = 'reconcile-all' AND TemporalScheduledStartTime = '2026-11-23T11:00:00Z'", Sched },
        { "ScheduledById without the Temporal prefix", "ScheduledById = 'reconcile-all'", Sched },
        { "escaped quote in a string", "WorkflowId = 'it''s'", "" },
        { "ExecutionDuration as a Go duration", "ExecutionDuration > '1h'", "wf-2" },
        { "ExecutionDuration as hh:mm:ss", "ExecutionDuration <= '00:05:00'", "wf-3" },
        { "ExecutionDuration in nanoseconds", "ExecutionDuration = 300000000000", "wf-3" },
        { "only ORDER BY", "ORDER BY StartTime", $"wf-1,wf-2,wf-3,{Sched}" },
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public void Filter_selects_the_expected_executions(string name, string query, string expectedIds)
    {
        var compiled = VisibilityQuery.Compile(query, Registry());
        var ids = VisibilityRow.Sample.Where(r => compiled.Matches(r)).Select(r => r.WorkflowId);
        Assert.True(string.Join(",", ids) == expectedIds, $"{name}: got {string.Join(",", ids)}");
    }

    [Theory]
    [InlineData("WorkflowType = 'Instance' ORDER BY StartTime DESC", "wf-3,wf-2")]
    [InlineData("ORDER BY StartTime ASC", "wf-1,wf-2,wf-3," + Sched)]
    [InlineData("ORDER BY WorkflowType, HistoryLength desc", "wf-3,wf-2,wf-1," + Sched)]
    [InlineData("ORDER BY CloseTime", Sched + ",wf-1,wf-2,wf-3")]
    [InlineData("", Sched + ",wf-1,wf-3,wf-2")]
    public void Order_by_sorts_with_unset_values_first_then_the_real_servers_list_order(string query, string expectedIds)
    {
        var compiled = VisibilityQuery.Compile(query, Registry());
        var rows = VisibilityRow.Sample.Where(r => compiled.Matches(r)).ToList();
        var sorted = rows.OrderBy(r => r, Comparer<VisibilityRow>.Create(compiled.Compare)).Select(r => r.WorkflowId);
        Assert.Equal(expectedIds, string.Join(",", sorted));
    }

    [Fact]
    public void Group_by_execution_status_gives_a_group_key()
    {
        var compiled = VisibilityQuery.Compile("TaskQueue = 'lifecycle' GROUP BY ExecutionStatus", Registry());
        var groups = VisibilityRow.Sample.Where(r => compiled.Matches(r)).GroupBy(compiled.GroupKey)
            .ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["Running"] = 2, ["Completed"] = 1 }, groups);
    }

    [Fact]
    public void Syntax_tree_reflects_precedence()
    {
        var syntax = QueryParser.Parse("A = 1 OR B = 2 AND NOT C = 3");
        var or = Assert.IsType<OrExpression>(syntax.Where);
        Assert.Equal("A", Assert.IsType<ComparisonExpression>(or.Left).Column.Name);
        var and = Assert.IsType<AndExpression>(or.Right);
        Assert.IsType<NotExpression>(and.Right);
    }

    public static TheoryData<string, string, string, int> ErrorCases() => new()
    {
        { "missing value", "WorkflowId = ", "malformed SQL query: syntax error at position 14: unexpected end of query", 14 },
        { "dangling AND", "WorkflowId = 'a' AND", "malformed SQL query: syntax error at position 21: unexpected end of query", 21 },
        { "unknown operator word", "WorkflowId IS 'a'", "malformed SQL query: syntax error at position 15 near ''a''", 15 },
        { "unbalanced parenthesis", "(WorkflowId = 'a'", "malformed SQL query: syntax error at position 18: unexpected end of query", 18 },
        { "extra closing parenthesis", "WorkflowId = 'a')", "malformed SQL query: syntax error at position 17 near ')'", 17 },
        { "stray character", "WorkflowId = 'a' ; drop", "malformed SQL query: syntax error at position 18 near ';'", 18 },
        { "unterminated string", "WorkflowId = 'abc", "malformed SQL query: syntax error at position 14 near ''abc': unterminated quoted text", 14 },
        { "column alone", "WorkflowId", "invalid expression: incomplete expression", 1 },
        { "unquoted value", "WorkflowType = Instance", "operation is not supported: column name on the right side of comparison expression (did you forget to quote \"Instance\"?)", 16 },
        { "attribute names are case-sensitive", "workflowtype = 'x'", "invalid expression: column name 'workflowtype' is not a valid search attribute", 1 },
        { "unknown attribute", "Nope = 'x'", "invalid expression: column name 'Nope' is not a valid search attribute", 1 },
        { "string for an int", "HistoryLength = 'ten'", "invalid expression: invalid value type for search attribute HistoryLength of type Int: \"ten\" (type: string)", 17 },
        { "int for a keyword", "WorkflowId = 5", "invalid expression: invalid value type for search attribute WorkflowId of type Keyword: 5 (type: int64)", 14 },
        { "bool for a datetime", "StartTime > true", "invalid expression: invalid value type for search attribute StartTime of type Datetime: true (type: bool)", 13 },
        { "bad datetime", "StartTime > '2026-13-01'", "invalid expression: unable to parse datetime '2026-13-01'", 13 },
        { "bad status", "ExecutionStatus = 'Sleeping'", "invalid expression: invalid ExecutionStatus value 'Sleeping'", 19 },
        { "STARTS_WITH on an int", "HistoryLength STARTS_WITH '1'", "operation is not supported: operator 'STARTS_WITH' not supported for Int type search attribute 'HistoryLength'", 15 },
        { "< on a keyword list", "CustomKeywordListField < 'a'", "operation is not supported: operator '<' not supported for KeywordList type search attribute 'CustomKeywordListField'", 24 },
        { "BETWEEN on text", "CustomTextField BETWEEN 'a' AND 'b'", "invalid expression: cannot do range condition on search attribute 'CustomTextField' of type Text", 1 },
        { "ORDER BY text", "ORDER BY CustomTextField", "operation is not supported: unable to sort by search attribute type Text", 10 },
        { "GROUP BY something else", "GROUP BY WorkflowType", "operation is not supported: 'GROUP BY' clause is not supported for search attribute WorkflowType", 10 },
        { "GROUP BY two fields", "GROUP BY ExecutionStatus, WorkflowType", "operation is not supported: 'GROUP BY' clause supports only a single field", 27 },
        { "LIMIT", "WorkflowId = 'a' LIMIT 5", "operation is not supported: 'LIMIT' clause", 18 },
        { "text without words", "CustomTextField = '  '", "invalid expression: unexpected value for Text type search attribute (no tokens found)", 19 },
        { "value on the left", "'wf-1' = WorkflowId", "invalid expression: must be a column name but was a value", 1 },
        { "bad duration", "ExecutionDuration > 'soon'", "invalid expression: invalid duration value for search attribute ExecutionDuration: soon", 21 },
        { "LIKE", "WorkflowId LIKE 'a%'", "operation is not supported: operator 'LIKE'", 12 },
    };

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void Bad_queries_say_where_and_what(string name, string query, string detail, int position)
    {
        var error = Assert.Throws<QueryException>(() => VisibilityQuery.Compile(query, Registry()));
        Assert.True(detail == error.Detail, $"{name}: got \"{error.Detail}\"");
        Assert.Equal("invalid query: " + detail, error.Message);
        Assert.Equal(position, error.Position);
    }

    [Fact]
    public void Type_names_read_case_insensitively()
    {
        Assert.True(SearchAttributeTypes.TryParse("keywordlist", out var type));
        Assert.Equal(IndexedValueType.KeywordList, type);
        Assert.True(SearchAttributeTypes.TryParse("INDEXED_VALUE_TYPE_DATETIME", out type));
        Assert.Equal(IndexedValueType.Datetime, type);
    }
}
