using System.Reflection;
using global::Grpc.AspNetCore.Server.Model;
using global::Grpc.Core;
using Google.Protobuf;

namespace TemporalDev.Grpc;

/// <summary>Binds every method of the Temporal services at run time to the Temporalio package's message types.</summary>
public sealed class DescriptorMethodProvider(RpcRouter router) : IServiceMethodProvider<TemporalGrpcService>
{
    private static readonly MethodInfo BindMethod =
        typeof(DescriptorMethodProvider).GetMethod(nameof(Bind), BindingFlags.NonPublic | BindingFlags.Instance)!;

    /// <inheritdoc/>
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TemporalGrpcService> context)
    {
        foreach (var method in ServiceCatalog.Methods)
        {
            BindMethod.MakeGenericMethod(method.Request, method.Response).Invoke(this, [context, method]);
        }
    }

    private void Bind<TRequest, TResponse>(ServiceMethodProviderContext<TemporalGrpcService> context, RpcMethod rpc)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var requestParser = new MessageParser<TRequest>(() => new TRequest());
        var responseParser = new MessageParser<TResponse>(() => new TResponse());
        var method = new Method<TRequest, TResponse>(
            MethodType.Unary,
            rpc.ServiceFullName,
            rpc.Name,
            Marshallers.Create(r => r.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(r => r.ToByteArray(), responseParser.ParseFrom));
        context.AddUnaryMethod(method, [], (_, request, call) => router.InvokeAsync<TResponse>(rpc.Service, rpc.Name, request, call));
    }
}
