using MassTransit;
using Microsoft.Extensions.Options;

namespace Messaging.Audit.Notifications;

/// <summary>
/// When a failed delivery is tried again, and where it waits meanwhile. The broker has no delayed-message plugin, so
/// the wait is RabbitMQ's own: one wait queue per distinct delay (<c>webhook-attempts-wait-&lt;ms&gt;ms</c>), with that
/// delay as its message TTL and <c>webhook-attempts</c> as its dead-letter exchange. A delivery sent there sits in the
/// broker, holding no consumer, and comes back to <c>webhook-attempts</c> when its time is up.
/// </summary>
/// <remarks>
/// Delays double from <see cref="WebhookDeliveryOptions.FirstRetryDelay"/> up to <see cref="WebhookDeliveryOptions.MaxRetryDelay"/>.
/// Jitter: each message gets its own TTL, a random 0-20 % shorter than its queue's, so receivers that failed at the
/// same moment are not all tried again at the same moment. RabbitMQ expires messages from the head of a queue only, so a
/// message never leaves before one queued ahead of it in the same wait queue: it waits between its own TTL and the
/// queue's, never longer. The delay is in the queue name, so a changed setting declares new queues instead of
/// clashing with the arguments of the old ones.
/// </remarks>
public sealed class WebhookRetrySchedule(IOptions<WebhookDeliveryOptions> options)
{
    /// <summary>The queue deliveries are tried from (and its exchange, the wait queues' dead-letter exchange).</summary>
    public const string DeliveryQueue = "webhook-attempts";

    /// <summary>The largest share of a delay that jitter takes off.</summary>
    public const double Jitter = 0.2;

    private WebhookDeliveryOptions Options => options.Value;

    /// <summary>Whether a delivery whose try number <paramref name="attempt"/> failed may be tried again.</summary>
    public bool MayRetry(int attempt) => attempt < Options.MaxAttempts;

    /// <summary>The wait after failed try number <paramref name="attempt"/> (before jitter).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var doubled = Options.FirstRetryDelay.Ticks * Math.Pow(2, Math.Max(0, attempt - 1));
        return TimeSpan.FromTicks((long)Math.Min(doubled, Options.MaxRetryDelay.Ticks));
    }

    /// <summary>Every delay a retry may wait, once each: one wait queue each.</summary>
    public IReadOnlyList<TimeSpan> Delays =>
        [.. Enumerable.Range(1, Math.Max(0, Options.MaxAttempts - 1)).Select(DelayAfter).Distinct()];

    public static string WaitQueue(TimeSpan delay) => $"{DeliveryQueue}-wait-{(long)delay.TotalMilliseconds}ms";

    /// <summary>A message's own TTL in a wait queue of <paramref name="delay"/>: up to <see cref="Jitter"/> shorter, by <paramref name="random"/> in [0, 1).</summary>
    public static TimeSpan Jittered(TimeSpan delay, double random) =>
        TimeSpan.FromMilliseconds(Math.Max(1, Math.Round(delay.TotalMilliseconds * (1 - Jitter * random))));

    /// <summary>Sends the next try of <paramref name="failed"/> to the wait queue of its delay.</summary>
    public async Task RetryLaterAsync(ConsumeContext context, DeliverWebhook failed)
    {
        var delay = DelayAfter(failed.Attempt);
        // The exchange, not the queue: MassTransit would declare a queue address without the wait queue's arguments.
        var waitQueue = await context.GetSendEndpoint(new Uri($"exchange:{WaitQueue(delay)}"));
        await waitQueue.Send(failed with { Attempt = failed.Attempt + 1 },
            send => send.TimeToLive = Jittered(delay, Random.Shared.NextDouble()), context.CancellationToken);
    }

    /// <summary>
    /// Declares each wait queue with the delivery endpoint's topology (so MassTransit declares them again after a broker
    /// restart): quorum, replicated like every queue of ours, dead-lettering at least once back to <see cref="DeliveryQueue"/>.
    /// </summary>
    public void DeclareWaitQueues(MassTransit.RabbitMqTransport.Configuration.IRabbitMqEndpointConfiguration endpoint)
    {
        foreach (var delay in Delays)
            endpoint.Topology.Consume.BindQueue(WaitQueue(delay), WaitQueue(delay), queue =>
            {
                queue.SetQuorumQueue();
                queue.SetQueueArgument("x-message-ttl", (long)delay.TotalMilliseconds);
                queue.SetQueueArgument("x-dead-letter-exchange", DeliveryQueue);
                // Kept in the wait queue until webhook-attempts has it (quorum at-least-once dead-lettering needs reject-publish).
                queue.SetQueueArgument("x-dead-letter-strategy", "at-least-once");
                queue.SetQueueArgument("x-overflow", "reject-publish");
            });
    }
}
