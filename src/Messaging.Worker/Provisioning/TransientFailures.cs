using MassTransit;
using Messaging.ServiceDefaults.Bus;
using Messaging.State.Locks;

namespace Messaging.Worker.Provisioning;

/// <summary>
/// What is worth retrying: Redis being away, a timeout, and a service locked by another delivery (whose lock
/// expires within <see cref="ServiceLocks.Ttl"/> if its holder died). Refusals are events, never retried.
/// </summary>
public static class TransientFailures
{
    public static void Retry(IRetryConfigurator retry)
    {
        retry.HandleTransientFailures();
        retry.Handle<ServiceBusyException>();
        // 250 ms, 500 ms, ... 4 s: about 34 s in all, more than one lock TTL.
        retry.Incremental(16, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }
}
