using System.Reflection;

namespace TemporalDev.Grpc;

/// <summary>One unary RPC: its service, name and the Temporalio message types it carries.</summary>
public sealed record RpcMethod(string ServiceFullName, string Service, string Name, Type Request, Type Response);

/// <summary>
/// The RPCs of the workflow, operator and test services, found from the Temporalio package's message types by the
/// API's naming rule (<c>XRequest</c>/<c>XResponse</c>). Building the protobuf descriptors instead costs about two
/// seconds of start-up, longer than the SDK's readiness probe likes.
/// </summary>
public static class ServiceCatalog
{
    public static IReadOnlyList<RpcMethod> Methods { get; } = Build();

    private static List<RpcMethod> Build()
    {
        var assembly = typeof(Temporalio.Api.WorkflowService.V1.StartWorkflowExecutionRequest).Assembly;
        var types = assembly.GetExportedTypes();
        var methods = new List<RpcMethod>();
        AddByConvention(methods, types, "Temporalio.Api.WorkflowService.V1", "temporal.api.workflowservice.v1.WorkflowService");
        AddByConvention(methods, types, "Temporalio.Api.OperatorService.V1", "temporal.api.operatorservice.v1.OperatorService");
        const string test = "temporal.api.testservice.v1.TestService";
        methods.Add(Test(test, "LockTimeSkipping", typeof(Temporalio.Api.TestService.V1.LockTimeSkippingRequest), typeof(Temporalio.Api.TestService.V1.LockTimeSkippingResponse)));
        methods.Add(Test(test, "UnlockTimeSkipping", typeof(Temporalio.Api.TestService.V1.UnlockTimeSkippingRequest), typeof(Temporalio.Api.TestService.V1.UnlockTimeSkippingResponse)));
        methods.Add(Test(test, "Sleep", typeof(Temporalio.Api.TestService.V1.SleepRequest), typeof(Temporalio.Api.TestService.V1.SleepResponse)));
        methods.Add(Test(test, "SleepUntil", typeof(Temporalio.Api.TestService.V1.SleepUntilRequest), typeof(Temporalio.Api.TestService.V1.SleepResponse)));
        methods.Add(Test(test, "UnlockTimeSkippingWithSleep", typeof(Temporalio.Api.TestService.V1.SleepRequest), typeof(Temporalio.Api.TestService.V1.SleepResponse)));
        methods.Add(Test(test, "GetCurrentTime", typeof(Google.Protobuf.WellKnownTypes.Empty), typeof(Temporalio.Api.TestService.V1.GetCurrentTimeResponse)));
        return methods;
    }

    private static RpcMethod Test(string service, string name, Type request, Type response) => new(service, "TestService", name, request, response);

    private static void AddByConvention(List<RpcMethod> methods, Type[] types, string clrNamespace, string service)
    {
        var shortName = service[(service.LastIndexOf('.') + 1)..];
        var byName = types.Where(t => t.Namespace == clrNamespace && !t.IsNested).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (name, request) in byName.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!name.EndsWith("Request", StringComparison.Ordinal)) continue;
            var rpc = name[..^"Request".Length];
            if (!byName.TryGetValue(rpc + "Response", out var response)) continue;
            if (request.GetProperty("Parser", BindingFlags.Public | BindingFlags.Static) is null) continue;
            methods.Add(new RpcMethod(service, shortName, rpc, request, response));
        }
    }
}
