using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Namespace.V1;
using Temporalio.Api.Replication.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>GetSystemInfo and the namespaces: <c>default</c> plus every <c>--namespace</c>.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>Gets the server version reported to clients.</summary>
    public const string ServerVersion = "1.29.1";

    public static GetSystemInfoResponse DescribeSystem() => new()
    {
        ServerVersion = ServerVersion,
        Capabilities = new GetSystemInfoResponse.Types.Capabilities
        {
            SignalAndQueryHeader = true,
            InternalErrorDifferentiation = true,
            ActivityFailureIncludeHeartbeat = true,
            SupportsSchedules = true,
            EncodedFailureAttributes = true,
            BuildIdBasedVersioning = true,
            UpsertMemo = true,
            EagerWorkflowStart = true,
            SdkMetadata = true,
            CountGroupByExecutionStatus = true,
            Nexus = false,
        },
    };

    public DescribeNamespaceResponse DescribeNamespace(DescribeNamespaceRequest request)
    {
        lock (gate)
        {
            var name = request.Namespace;
            if (string.IsNullOrEmpty(name) && !string.IsNullOrEmpty(request.Id))
            {
                name = namespaces.FirstOrDefault(n => NamespaceId(n) == request.Id) ?? throw RpcErrors.NamespaceNotFound(request.Id);
            }

            RequireNamespace(name);
            var response = DescribeNamespace(name);
            foreach (var (field, alias) in SearchAttributeCatalog.Aliases(name)) response.Config.CustomSearchAttributeAliases[field] = alias;
            return response;
        }
    }

    public ListNamespacesResponse ListNamespaces(ListNamespacesRequest request)
    {
        lock (gate)
        {
            var response = new ListNamespacesResponse();
            response.Namespaces.AddRange(namespaces.Order(StringComparer.Ordinal).Select(DescribeNamespace));
            return response;
        }
    }

    private static DescribeNamespaceResponse DescribeNamespace(string name) => new()
    {
        NamespaceInfo = new NamespaceInfo
        {
            Name = name,
            State = NamespaceState.Registered,
            Id = NamespaceId(name),
            Capabilities = new NamespaceInfo.Types.Capabilities
            {
                EagerWorkflowStart = true,
                SyncUpdate = false,
                AsyncUpdate = false,
                WorkerHeartbeats = false,
            },
            SupportsSchedules = true,
        },
        Config = new NamespaceConfig
        {
            WorkflowExecutionRetentionTtl = Duration.FromTimeSpan(TimeSpan.FromDays(1)),
            HistoryArchivalState = ArchivalState.Disabled,
            VisibilityArchivalState = ArchivalState.Disabled,
        },
        ReplicationConfig = new NamespaceReplicationConfig
        {
            ActiveClusterName = "active",
            Clusters = { new ClusterReplicationConfig { ClusterName = "active" } },
            State = ReplicationState.Normal,
        },
        IsGlobalNamespace = false,
    };

    /// <summary>A stable id per namespace name, shaped like the real server's UUIDs.</summary>
    public static string NamespaceId(string name) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16)).ToString();
}
