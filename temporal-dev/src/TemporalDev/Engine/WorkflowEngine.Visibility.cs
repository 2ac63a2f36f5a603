using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Cli;
using TemporalDev.Engine.Visibility;
using TemporalDev.Grpc;
using TemporalDev.Query.Evaluation;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;
using ProtoSearchAttributes = Temporalio.Api.Common.V1.SearchAttributes;

namespace TemporalDev.Engine;

/// <summary>
/// Visibility: the search attribute registry of each namespace (launch flags and OperatorService), typed values
/// checked on start and on the upsert, child and continue-as-new commands, and List/Count/Scan over the query language.
/// </summary>
public sealed partial class WorkflowEngine
{
    private const int MaxPageSize = 1000;

    private const string SearchAttributesBlobKind = "search-attributes";

    private readonly Dictionary<string, NamespaceVisibility> visibility = new(StringComparer.Ordinal);

    /// <summary>Gets the search attributes of every namespace (for persistence: Export and Import).</summary>
    public SearchAttributeCatalog SearchAttributeCatalog { get; } = new();

    /// <summary>Checks <c>--search-attribute Name=Type</c> flags as the engine will apply them; throws with the reason.</summary>
    public static void CheckLaunchSearchAttributes(IReadOnlyDictionary<string, string> flags) => new SearchAttributeCatalog().Add("check", ParseLaunchSearchAttributes(flags));

    private static Dictionary<string, IndexedValueType> ParseLaunchSearchAttributes(IReadOnlyDictionary<string, string> flags)
    {
        var parsed = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal);
        foreach (var (name, typeText) in flags)
        {
            if (!SearchAttributeTypes.TryParse(typeText, out var type))
            {
                throw new SearchAttributeException(
                    $"--search-attribute {name}={typeText}: unknown type \"{typeText}\"; expected one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList");
            }

            parsed[name] = type;
        }

        return parsed;
    }

    /// <summary>Registers the launch flags' attributes in every namespace the server starts with.</summary>
    private void RegisterLaunchSearchAttributes(ServerOptions options)
    {
        if (options.SearchAttributes.Count == 0) return;
        var parsed = ParseLaunchSearchAttributes(options.SearchAttributes);
        foreach (var ns in options.Namespaces) SearchAttributeCatalog.Add(ns, parsed);
    }

    private NamespaceVisibility VisibilityOf(string ns)
    {
        if (!visibility.TryGetValue(ns, out var store)) visibility[ns] = store = new NamespaceVisibility();
        return store;
    }

    /// <summary>Checks the attributes of a start (or signal-with-start) request; InvalidArgument as the real server.</summary>
    private void CheckStartSearchAttributes(string ns, ProtoSearchAttributes? attributes)
    {
        RequireNamespace(ns);
        if (SearchAttributeProblem(ns, attributes) is { } problem) throw RpcErrors.InvalidArgument(problem);
    }

    /// <summary>Validates and types the attributes (stamping the "type" metadata the SDKs read back); the error, or null.</summary>
    private string? SearchAttributeProblem(string ns, ProtoSearchAttributes? attributes)
    {
        if (attributes is null || attributes.IndexedFields.Count == 0) return null;
        var registry = SearchAttributeCatalog.Registry(ns);
        try
        {
            // An unset (the SDKs send an empty "binary/null" payload) names a settable attribute but has no value to type.
            var values = new ProtoSearchAttributes();
            foreach (var (name, payload) in attributes.IndexedFields)
            {
                if (!IsUnset(payload)) values.IndexedFields[name] = payload;
                else if (!registry.IsSettable(name, out var error)) return error;
            }

            SearchAttributeValues.Validate(registry, values);
        }
        catch (SearchAttributeException e)
        {
            return e.Message;
        }

        foreach (var (name, payload) in attributes.IndexedFields)
        {
            if (!IsUnset(payload) && !payload.Metadata.ContainsKey("type")) payload.Metadata["type"] = ByteString.CopyFromUtf8(SearchAttributeTypes.NameOf(registry.Find(name)!.Type));
        }

        return null;
    }

    /// <summary>The real server fails the workflow task (BAD_SEARCH_ATTRIBUTES) for a command with bad attributes.</summary>
    private (WorkflowTaskFailedCause Cause, string Message)? ValidateCommandSearchAttributes(Execution run, RepeatedField<Command> commands)
    {
        foreach (var command in commands)
        {
            var problem = command.CommandType switch
            {
                CommandType.UpsertWorkflowSearchAttributes => SearchAttributeProblem(run.Namespace, command.UpsertWorkflowSearchAttributesCommandAttributes?.SearchAttributes),
                CommandType.ContinueAsNewWorkflowExecution => SearchAttributeProblem(run.Namespace, command.ContinueAsNewWorkflowExecutionCommandAttributes?.SearchAttributes),
                CommandType.StartChildWorkflowExecution => SearchAttributeProblem(
                    command.StartChildWorkflowExecutionCommandAttributes is { Namespace.Length: > 0 } child ? child.Namespace : run.Namespace,
                    command.StartChildWorkflowExecutionCommandAttributes?.SearchAttributes),
                _ => null,
            };
            if (problem is not null) return (WorkflowTaskFailedCause.BadSearchAttributes, problem);
        }

        return null;
    }

    /// <summary>Files a new (or restored) run in its namespace's visibility, typing its attributes by the registry.</summary>
    public void IndexRun(Execution run)
    {
        var record = new VisibilityRecord(run);
        var registry = SearchAttributeCatalog.Registry(run.Namespace);
        foreach (var (name, payload) in run.SearchAttributes.IndexedFields)
        {
            if (Typed(registry, name, payload) is { } value) record.Values[name] = value;
        }

        VisibilityOf(run.Namespace).Put(record);
    }

    /// <summary>Files a run again after its status changed (close) so status queries and the index agree.</summary>
    private void RefreshVisibility(Execution run)
    {
        var store = VisibilityOf(run.Namespace);
        if (store.Find(run.RunId) is { } record) store.Put(record);
    }

    private void UpsertSearchAttributes(Execution run, UpsertWorkflowSearchAttributesCommandAttributes upsert, CommandBatch batch)
    {
        var registry = SearchAttributeCatalog.Registry(run.Namespace);
        var record = VisibilityOf(run.Namespace).Find(run.RunId);
        foreach (var (name, payload) in upsert.SearchAttributes.IndexedFields)
        {
            var value = Typed(registry, name, payload);
            if (value is null)
            {
                run.SearchAttributes.IndexedFields.Remove(name);
                record?.Values.Remove(name);
            }
            else
            {
                run.SearchAttributes.IndexedFields[name] = payload;
                record?.Values.Remove(name);
                record?.Values.Add(name, value);
            }
        }

        if (record is not null) VisibilityOf(run.Namespace).Put(record);
        run.Append(EventType.UpsertWorkflowSearchAttributes, Now, e => e.UpsertWorkflowSearchAttributesEventAttributes = new UpsertWorkflowSearchAttributesEventAttributes
        {
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            SearchAttributes = upsert.SearchAttributes,
        });
    }

    private static bool IsUnset(Temporalio.Api.Common.V1.Payload payload) =>
        payload.Data.IsEmpty || (payload.Metadata.TryGetValue("encoding", out var encoding) && encoding.ToStringUtf8() == "binary/null");

    /// <summary>A payload's typed value; null when it unsets the attribute (null, empty list, no data) or cannot be typed.</summary>
    private static object? Typed(SearchAttributeRegistry registry, string name, Temporalio.Api.Common.V1.Payload payload)
    {
        if (IsUnset(payload) || registry.Find(name) is not { } attribute) return null;
        try
        {
            return SearchAttributeValues.Decode(name, attribute.Type, payload) switch
            {
                IReadOnlyList<string> { Count: 0 } => null,
                var value => value,
            };
        }
        catch (SearchAttributeException)
        {
            return null;
        }
    }

    public ListWorkflowExecutionsResponse ListWorkflowExecutions(ListWorkflowExecutionsRequest request)
    {
        lock (gate)
        {
            var (query, store, after) = Prepare(request.Namespace, request.Query, request.NextPageToken);
            var page = store.List(query, SearchAttributeCatalog.Registry(request.Namespace), PageSize(request.PageSize), after);
            var response = new ListWorkflowExecutionsResponse();
            response.Executions.AddRange(page.Records.Select(VisibilityInfo));
            if (page.More) response.NextPageToken = VisibilityPageToken.After(page.Records[^1], query);
            return response;
        }
    }

    public ScanWorkflowExecutionsResponse ScanWorkflowExecutions(ScanWorkflowExecutionsRequest request)
    {
        var list = ListWorkflowExecutions(new ListWorkflowExecutionsRequest
        {
            Namespace = request.Namespace,
            PageSize = request.PageSize,
            NextPageToken = request.NextPageToken,
            Query = request.Query,
        });
        var response = new ScanWorkflowExecutionsResponse { NextPageToken = list.NextPageToken };
        response.Executions.AddRange(list.Executions);
        return response;
    }

    public CountWorkflowExecutionsResponse CountWorkflowExecutions(CountWorkflowExecutionsRequest request)
    {
        lock (gate)
        {
            var (query, store, _) = Prepare(request.Namespace, request.Query, ByteString.Empty);
            if (query.OrderBy.Count > 0) throw RpcErrors.InvalidArgument("invalid query: operation is not supported: 'ORDER BY' clause is not supported in count query");
            var (total, groups) = store.Count(query, SearchAttributeCatalog.Registry(request.Namespace));
            var response = new CountWorkflowExecutionsResponse { Count = total };
            foreach (var (group, count) in groups)
            {
                response.Groups.Add(new CountWorkflowExecutionsResponse.Types.AggregationGroup
                {
                    GroupValues = { SearchAttributeValues.Encode(IndexedValueType.Keyword, group) },
                    Count = count,
                });
            }

            return response;
        }
    }

    public ListOpenWorkflowExecutionsResponse ListOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest request)
    {
        lock (gate)
        {
            var (query, store, after) = Prepare(request.Namespace, "ExecutionStatus = 'Running'", request.NextPageToken);
            var filter = LegacyFilter(request.StartTimeFilter, request.ExecutionFilter, request.TypeFilter);
            var page = store.List(query, SearchAttributeCatalog.Registry(request.Namespace), PageSize(request.MaximumPageSize), after, filter);
            var response = new ListOpenWorkflowExecutionsResponse();
            response.Executions.AddRange(page.Records.Select(VisibilityInfo));
            if (page.More) response.NextPageToken = VisibilityPageToken.After(page.Records[^1], query);
            return response;
        }
    }

    public ListClosedWorkflowExecutionsResponse ListClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest request)
    {
        lock (gate)
        {
            var status = request.StatusFilter?.Status ?? WorkflowExecutionStatus.Unspecified;
            var text = status is WorkflowExecutionStatus.Unspecified or WorkflowExecutionStatus.Running
                ? "ExecutionStatus != 'Running'"
                : $"ExecutionStatus = '{QueryValue.StatusName(status)}'";
            var (query, store, after) = Prepare(request.Namespace, text, request.NextPageToken);
            var filter = LegacyFilter(request.StartTimeFilter, request.ExecutionFilter, request.TypeFilter);
            var page = store.List(query, SearchAttributeCatalog.Registry(request.Namespace), PageSize(request.MaximumPageSize), after, filter);
            var response = new ListClosedWorkflowExecutionsResponse();
            response.Executions.AddRange(page.Records.Select(VisibilityInfo));
            if (page.More) response.NextPageToken = VisibilityPageToken.After(page.Records[^1], query);
            return response;
        }
    }

    public GetSearchAttributesResponse GetSearchAttributes(GetSearchAttributesRequest request)
    {
        lock (gate)
        {
            var response = new GetSearchAttributesResponse();
            foreach (var (name, type) in SearchAttributeRegistry.System.Concat(SearchAttributeRegistry.Predefined)) response.Keys[name] = type;
            foreach (var ns in namespaces)
            {
                foreach (var (name, type) in SearchAttributeCatalog.Registry(ns).Custom) response.Keys[name] = type;
            }

            return response;
        }
    }

    /// <summary>Keeps the registry's custom attributes in the store (one blob; the registry is small).</summary>
    private void SaveSearchAttributes() =>
        journal?.Put(SearchAttributesBlobKind, SearchAttributesBlobKind, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(SearchAttributeCatalog.Export()));

    /// <summary>Brings back the custom attributes added through OperatorService (the launch flags are registered already) and indexes every restored run.</summary>
    private void RestoreVisibility(Persistence.RunJournal store)
    {
        foreach (var (_, data) in store.Load(SearchAttributesBlobKind))
        {
            SearchAttributeCatalog.Import(System.Text.Json.JsonSerializer.Deserialize<List<CustomSearchAttribute>>(data) ?? []);
        }

        foreach (var run in runs.Values) IndexRun(run);
    }

    public AddSearchAttributesResponse AddSearchAttributes(AddSearchAttributesRequest request)
    {
        lock (gate)
        {
            RequireOperatorNamespace(request.Namespace);
            try
            {
                SearchAttributeCatalog.Add(request.Namespace, request.SearchAttributes);
                SaveSearchAttributes();
            }
            catch (SearchAttributeException e)
            {
                throw RpcErrors.InvalidArgument(e.Message);
            }

            return new AddSearchAttributesResponse();
        }
    }

    public RemoveSearchAttributesResponse RemoveSearchAttributes(RemoveSearchAttributesRequest request)
    {
        lock (gate)
        {
            RequireOperatorNamespace(request.Namespace);
            try
            {
                SearchAttributeCatalog.Remove(request.Namespace, request.SearchAttributes);
                SaveSearchAttributes();
            }
            catch (SearchAttributeException e)
            {
                throw RpcErrors.InvalidArgument(e.Message);
            }

            return new RemoveSearchAttributesResponse();
        }
    }

    public ListSearchAttributesResponse ListSearchAttributes(ListSearchAttributesRequest request)
    {
        lock (gate)
        {
            RequireOperatorNamespace(request.Namespace);
            var response = new ListSearchAttributesResponse();
            foreach (var (name, type) in SearchAttributeCatalog.Registry(request.Namespace).Custom) response.CustomAttributes[name] = type;
            foreach (var (name, type) in SearchAttributeRegistry.System.Concat(SearchAttributeRegistry.Predefined)) response.SystemAttributes[name] = type;
            return response;
        }
    }

    private void RequireOperatorNamespace(string ns)
    {
        if (string.IsNullOrEmpty(ns)) throw RpcErrors.InvalidArgument("Namespace is not set on request.");
        RequireNamespace(ns);
    }

    private static int PageSize(int requested) => requested is <= 0 or > MaxPageSize ? MaxPageSize : requested;

    /// <summary>Compiles a query against the namespace's registry and reads the page token; InvalidArgument when either is bad.</summary>
    private (VisibilityQuery Query, NamespaceVisibility Store, IVisibilityRecord? After) Prepare(string ns, string? text, ByteString token)
    {
        RequireNamespace(ns);
        VisibilityQuery query;
        try
        {
            query = VisibilityQuery.Compile(text, SearchAttributeCatalog.Registry(ns));
        }
        catch (QueryException e)
        {
            throw RpcErrors.InvalidArgument(e.Message);
        }

        IVisibilityRecord? after = null;
        if (!token.IsEmpty)
        {
            after = VisibilityPageToken.Read(token) ?? throw RpcErrors.InvalidArgument("Invalid NextPageToken: not a token this server wrote for the query.");
        }

        return (query, VisibilityOf(ns), after);
    }

    private static Func<IVisibilityRecord, bool> LegacyFilter(
        Temporalio.Api.Filter.V1.StartTimeFilter? startTime,
        Temporalio.Api.Filter.V1.WorkflowExecutionFilter? execution,
        Temporalio.Api.Filter.V1.WorkflowTypeFilter? type)
    {
        var earliest = startTime?.EarliestTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
        var latest = startTime?.LatestTime is { } l && l.ToDateTimeOffset() > DateTimeOffset.UnixEpoch ? l.ToDateTimeOffset() : DateTimeOffset.MaxValue;
        return r =>
        {
            var record = (VisibilityRecord)r;
            var started = new DateTimeOffset(DateTime.SpecifyKind(record.Run.StartTime, DateTimeKind.Utc));
            return started >= earliest && started <= latest
                && (string.IsNullOrEmpty(execution?.WorkflowId) || record.Run.WorkflowId == execution.WorkflowId)
                && (string.IsNullOrEmpty(execution?.RunId) || record.Run.RunId == execution.RunId)
                && (string.IsNullOrEmpty(type?.Name) || record.Run.Start.WorkflowType.Name == type.Name);
        };
    }

    /// <summary>What List returns for a run (the real server's visibility row, not the mutable state).</summary>
    private static WorkflowExecutionInfo VisibilityInfo(VisibilityRecord record) => ExecutionInfo(record.Run);
}
