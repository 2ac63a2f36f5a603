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

    // Messages are written straight into the response pipe and read from the request's buffers: no byte[] copy per call.
    private static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
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
            Marshallers.Create<TRequest>(Serialize, c => requestParser.ParseFrom(c.PayloadAsReadOnlySequence())),
            Marshallers.Create<TResponse>(Serialize, c => responseParser.ParseFrom(c.PayloadAsReadOnlySequence())));
        var handler = router.Bind<TResponse>(rpc.Service, rpc.Name);
        context.AddUnaryMethod(method, [], (_, request, call) => handler(request, call));
    }
}
