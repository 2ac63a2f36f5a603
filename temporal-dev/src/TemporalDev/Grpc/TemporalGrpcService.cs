namespace TemporalDev.Grpc;

/// <summary>The marker service type every Temporal RPC is bound to; the methods themselves live in <see cref="RpcRouter"/>.</summary>
public sealed class TemporalGrpcService
{
}
