using MassTransit;
using StackExchange.Redis;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// The failures that pass by themselves: Redis away or slow, a timeout. Consumer definitions retry these in
/// place and let everything else (a refusal, a bug) fail at once, to the error queue or as an event.
/// </summary>
public static class TransientFailureFilter
{
    /// <summary>Adds the transient failures to <paramref name="retry"/>'s filter; the caller adds its own and the intervals.</summary>
    public static IRetryConfigurator HandleTransientFailures(this IRetryConfigurator retry)
    {
        retry.Handle<RedisConnectionException>();
        retry.Handle<RedisTimeoutException>();
        retry.Handle<TimeoutException>();
        return retry;
    }
}
