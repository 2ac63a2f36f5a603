using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.TestService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>The TestService: the client's time-skipping lock, sleeping on the virtual clock, and the virtual now.</summary>
public sealed partial class WorkflowEngine
{
    private void RequireSkipping()
    {
        if (!Clock.Skipping) throw RpcErrors.Unimplemented("time skipping is only available in the test-server form (temporal <port>)");
    }

    public LockTimeSkippingResponse LockTimeSkipping(LockTimeSkippingRequest request)
    {
        RequireSkipping();
        lock (gate) Clock.ClientLock();
        return new LockTimeSkippingResponse();
    }

    public UnlockTimeSkippingResponse UnlockTimeSkipping(UnlockTimeSkippingRequest request)
    {
        RequireSkipping();
        lock (gate)
        {
            try
            {
                Clock.ClientUnlock();
            }
            catch (InvalidOperationException e)
            {
                throw RpcErrors.FailedPrecondition(e.Message);
            }
        }

        return new UnlockTimeSkippingResponse();
    }

    public async Task<SleepResponse> UnlockTimeSkippingWithSleep(SleepRequest request)
    {
        RequireSkipping();
        var woke = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            Clock.After(Proto.Span(request.Duration), () =>
            {
                Clock.ClientLock();
                woke.TrySetResult();
            });
            try
            {
                Clock.ClientUnlock();
            }
            catch (InvalidOperationException e)
            {
                throw RpcErrors.FailedPrecondition(e.Message);
            }
        }

        await woke.Task.ConfigureAwait(false);
        return new SleepResponse();
    }

    public async Task<SleepResponse> Sleep(SleepRequest request)
    {
        var woke = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate) Clock.After(Proto.Span(request.Duration), () => woke.TrySetResult());
        await woke.Task.ConfigureAwait(false);
        return new SleepResponse();
    }

    public async Task<SleepResponse> SleepUntil(SleepUntilRequest request)
    {
        var woke = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate) Clock.Schedule(request.Timestamp.ToDateTime(), () => woke.TrySetResult());
        await woke.Task.ConfigureAwait(false);
        return new SleepResponse();
    }

    public GetCurrentTimeResponse GetCurrentTime() => new() { Time = Timestamp.FromDateTime(Clock.Now) };
}
