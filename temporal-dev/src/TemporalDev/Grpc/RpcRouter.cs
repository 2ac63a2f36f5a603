using global::Grpc.Core;
using Google.Protobuf;

namespace TemporalDev.Grpc;

/// <summary>Maps a full gRPC method name (<c>/package.Service/Method</c>) to the engine handler that serves it.</summary>
public sealed class RpcRouter
{
    private readonly Dictionary<string, Func<IMessage, ServerCallContext, Task<IMessage>>> handlers = new(StringComparer.Ordinal);

    /// <summary>Registers a handler for one method of one service.</summary>
    public void Add<TRequest, TResponse>(string service, string method, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage
        where TResponse : IMessage =>
        handlers[$"{service}/{method}"] = async (request, context) => await handler((TRequest)request, context).ConfigureAwait(false);

    /// <summary>Registers a synchronous handler.</summary>
    public void Add<TRequest, TResponse>(string service, string method, Func<TRequest, TResponse> handler)
        where TRequest : IMessage
        where TResponse : IMessage =>
        handlers[$"{service}/{method}"] = (request, _) => Task.FromResult<IMessage>(handler((TRequest)request));

    /// <summary>Gets or sets what runs after every call, before it answers (the store's commit with <c>--db-filename</c>).</summary>
    public Action? AfterEachCall { get; set; }

    /// <summary>Runs the handler for a method, or answers UNIMPLEMENTED naming it.</summary>
    public Task<TResponse> InvokeAsync<TResponse>(string service, string method, IMessage request, ServerCallContext context)
        where TResponse : IMessage =>
        Bind<TResponse>(service, method)(request, context);

    /// <summary>
    /// Resolves a method's handler once, when the method is bound, so a call neither builds its name nor looks it up;
    /// a method with no handler answers UNIMPLEMENTED naming it.
    /// </summary>
    public Func<IMessage, ServerCallContext, Task<TResponse>> Bind<TResponse>(string service, string method)
        where TResponse : IMessage
    {
        if (!handlers.TryGetValue($"{service}/{method}", out var handler))
        {
            var status = new Status(StatusCode.Unimplemented, $"temporal-dev does not implement {service}/{method}");
            return (_, _) => Task.FromException<TResponse>(new RpcException(status));
        }

        return (request, context) => RunAsync<TResponse>(handler, request, context);
    }

    private async Task<TResponse> RunAsync<TResponse>(Func<IMessage, ServerCallContext, Task<IMessage>> handler, IMessage request, ServerCallContext context)
        where TResponse : IMessage
    {
        try
        {
            return (TResponse)await handler(request, context).ConfigureAwait(false);
        }
        finally
        {
            AfterEachCall?.Invoke();
        }
    }
}
