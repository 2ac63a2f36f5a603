using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;

namespace TemporalDev.Engine;

/// <summary>The server's retry-policy rules, shared by activities and workflow runs.</summary>
public static class RetryRules
{
    /// <summary>Fills a retry policy's unset fields with the server defaults.</summary>
    public static RetryPolicy Normalize(RetryPolicy? policy)
    {
        var p = policy?.Clone() ?? new RetryPolicy();
        if (Proto.Span(p.InitialInterval) <= TimeSpan.Zero) p.InitialInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        if (p.BackoffCoefficient < 1) p.BackoffCoefficient = 2;
        if (Proto.Span(p.MaximumInterval) <= TimeSpan.Zero) p.MaximumInterval = Duration.FromTimeSpan(Proto.Span(p.InitialInterval) * 100);
        return p;
    }

    /// <summary>
    /// Decides whether a failed attempt is retried: returns the delay before the next attempt, or null and the
    /// retry state that ends the retries.
    /// </summary>
    public static (TimeSpan? Delay, RetryState State) Next(RetryPolicy? policy, int attempt, Failure? failure, DateTime now, DateTime? expiration)
    {
        if (policy is null) return (null, RetryState.RetryPolicyNotSet);
        var info = failure?.ApplicationFailureInfo;
        if (info is { NonRetryable: true }) return (null, RetryState.NonRetryableFailure);
        var type = info?.Type ?? (failure?.TimeoutFailureInfo is { } timeout ? $"TemporalTimeout:{timeout.TimeoutType}" : null);
        if (type is not null && policy.NonRetryableErrorTypes.Contains(type)) return (null, RetryState.NonRetryableFailure);
        if (policy.MaximumAttempts > 0 && attempt >= policy.MaximumAttempts) return (null, RetryState.MaximumAttemptsReached);
        TimeSpan delay;
        if (info?.NextRetryDelay is { } explicitDelay && explicitDelay.ToTimeSpan() > TimeSpan.Zero)
        {
            delay = explicitDelay.ToTimeSpan();
        }
        else
        {
            var initial = Proto.Span(policy.InitialInterval);
            var coefficient = policy.BackoffCoefficient < 1 ? 2 : policy.BackoffCoefficient;
            var seconds = initial.TotalSeconds * Math.Pow(coefficient, attempt - 1);
            var max = Proto.Span(policy.MaximumInterval);
            if (max > TimeSpan.Zero && seconds > max.TotalSeconds) seconds = max.TotalSeconds;
            delay = TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2));
        }

        if (expiration is { } end && now + delay >= end) return (null, RetryState.Timeout);
        return (delay, RetryState.InProgress);
    }
}
