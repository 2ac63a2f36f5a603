using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Common;
using Temporalio.Converters;
using TemporalDev.Query.SearchAttributes;
using Xunit;

namespace TemporalDev.UnitTests.Query;

public class SearchAttributeRegistryTests
{
    private static Temporalio.Api.Common.V1.SearchAttributes Attributes(params (string Name, string Json, string Type)[] fields)
    {
        var attributes = new Temporalio.Api.Common.V1.SearchAttributes();
        foreach (var (name, json, type) in fields)
        {
            var payload = new Payload { Data = ByteString.CopyFromUtf8(json) };
            payload.Metadata["encoding"] = ByteString.CopyFromUtf8("json/plain");
            payload.Metadata["type"] = ByteString.CopyFromUtf8(type);
            attributes.IndexedFields[name] = payload;
        }
        return attributes;
    }

    [Fact]
    public void Values_encoded_by_the_dotnet_sdk_decode_to_typed_values()
    {
        var registry = QueryTests.Registry();
        var start = new DateTimeOffset(2026, 11, 23, 8, 50, 0, TimeSpan.Zero);
        var collection = new SearchAttributeCollection.Builder()
            .Set(SearchAttributeKey.CreateKeyword("CustomKeywordField"), "pool-a")
            .Set(SearchAttributeKey.CreateLong("CustomIntField"), 42)
            .Set(SearchAttributeKey.CreateDouble("CustomDoubleField"), 2.5)
            .Set(SearchAttributeKey.CreateBool("CustomBoolField"), true)
            .Set(SearchAttributeKey.CreateDateTimeOffset("CustomDatetimeField"), start)
            .Set(SearchAttributeKey.CreateKeywordList("CustomKeywordListField"), ["a", "b"])
            .Set(SearchAttributeKey.CreateText("CustomTextField"), "hello world")
            .ToSearchAttributeCollection();
        var proto = new Temporalio.Api.Common.V1.SearchAttributes();
        foreach (var (key, value) in collection.UntypedValues)
        {
            var payload = DataConverter.Default.PayloadConverter.ToPayload(value);
            payload.Metadata["type"] = ByteString.CopyFromUtf8(SearchAttributeTypes.NameOf((IndexedValueType)key.ValueType));
            proto.IndexedFields[key.Name] = payload;
        }

        var values = SearchAttributeValues.Validate(registry, proto);

        Assert.Equal("pool-a", values["CustomKeywordField"]);
        Assert.Equal(42L, values["CustomIntField"]);
        Assert.Equal(2.5, values["CustomDoubleField"]);
        Assert.Equal(true, values["CustomBoolField"]);
        Assert.Equal(start, values["CustomDatetimeField"]);
        Assert.Equal(["a", "b"], (IEnumerable<string>)values["CustomKeywordListField"]!);
        Assert.Equal("hello world", values["CustomTextField"]);
    }

    [Fact]
    public void A_null_value_unsets_the_attribute()
    {
        var values = SearchAttributeValues.Validate(QueryTests.Registry(), Attributes(("CustomIntField", "null", "Int")));
        Assert.Null(Assert.Contains("CustomIntField", values));
    }

    [Fact]
    public void Encode_round_trips_the_scheduler_attributes()
    {
        var registry = new SearchAttributeRegistry();
        var nominal = new DateTimeOffset(2026, 11, 23, 8, 50, 0, TimeSpan.Zero);
        var proto = new Temporalio.Api.Common.V1.SearchAttributes();
        proto.IndexedFields["TemporalScheduledStartTime"] = SearchAttributeValues.Encode(IndexedValueType.Datetime, nominal);
        proto.IndexedFields["TemporalScheduledById"] = SearchAttributeValues.Encode(IndexedValueType.Keyword, "reconcile-all");
        var values = SearchAttributeValues.Validate(registry, proto);
        Assert.Equal(nominal, values["TemporalScheduledStartTime"]);
        Assert.Equal("reconcile-all", values["TemporalScheduledById"]);
        Assert.Equal("Datetime", proto.IndexedFields["TemporalScheduledStartTime"].Metadata["type"].ToStringUtf8());
    }

    public static TheoryData<string, string, string, string> InvalidValues() => new()
    {
        { "string for an int", "CustomIntField", "\"ten\"", "invalid value for search attribute CustomIntField of type Int: \"ten\"" },
        { "float for an int", "CustomIntField", "1.5", "invalid value for search attribute CustomIntField of type Int: 1.5" },
        { "number for a keyword", "CustomKeywordField", "5", "invalid value for search attribute CustomKeywordField of type Keyword: 5" },
        { "bad datetime", "CustomDatetimeField", "\"yesterday\"", "invalid value for search attribute CustomDatetimeField of type Datetime: \"yesterday\"" },
        { "list of numbers for a keyword list", "CustomKeywordListField", "[1,2]", "invalid value for search attribute CustomKeywordListField of type KeywordList: [1,2]" },
        { "undefined attribute", "Nope", "\"x\"", "search attribute Nope is not defined" },
        { "system attribute", "WorkflowId", "\"x\"", "WorkflowId attribute can't be set in SearchAttributes" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void Invalid_values_are_rejected_with_the_real_servers_message(string name, string attribute, string json, string message)
    {
        var error = Assert.Throws<SearchAttributeException>(() =>
            SearchAttributeValues.Validate(QueryTests.Registry(), Attributes((attribute, json, "Keyword"))));
        Assert.True(message == error.Message, $"{name}: got \"{error.Message}\"");
    }

    [Fact]
    public void Custom_attributes_are_added_once_and_reserved_names_refused()
    {
        var registry = new SearchAttributeRegistry();
        registry.Add("PoolId", IndexedValueType.Keyword);
        registry.Add("PoolId", IndexedValueType.Keyword);
        Assert.Equal(IndexedValueType.Keyword, registry.Custom["PoolId"]);
        Assert.Equal(SearchAttributeKind.Custom, registry.Find("PoolId")!.Kind);
        Assert.Contains("already exists with type Keyword", Assert.Throws<SearchAttributeException>(() => registry.Add("PoolId", IndexedValueType.Int)).Message, StringComparison.Ordinal);
        Assert.Equal("Search attribute WorkflowId is reserved by system.", Assert.Throws<SearchAttributeException>(() => registry.Add("WorkflowId", IndexedValueType.Keyword)).Message);
        Assert.Throws<SearchAttributeException>(() => registry.Add("bad name", IndexedValueType.Keyword));
    }

    [Theory]
    [InlineData("NoType", "expected Name=Type")]
    [InlineData("X=Colour", "unknown type \"Colour\"")]
    public void Bad_launch_flags_are_explained(string flag, string expected) =>
        Assert.Contains(expected, Assert.Throws<SearchAttributeException>(() => SearchAttributeRegistry.FromLaunchFlags([flag])).Message, StringComparison.Ordinal);

    [Fact]
    public void Built_ins_have_their_real_server_types()
    {
        var registry = new SearchAttributeRegistry();
        Assert.Equal(IndexedValueType.Datetime, registry.Find("TemporalScheduledStartTime")!.Type);
        Assert.Equal(IndexedValueType.Keyword, registry.Find("TemporalScheduledById")!.Type);
        Assert.Equal(IndexedValueType.KeywordList, registry.Find("BuildIds")!.Type);
        Assert.Equal(IndexedValueType.Int, registry.Find("HistoryLength")!.Type);
        Assert.Equal(SearchAttributeKind.System, registry.Find("ExecutionStatus")!.Kind);
        Assert.Equal("WorkflowId", registry.ResolveForQuery("ScheduleId")!.Name);
    }
}
