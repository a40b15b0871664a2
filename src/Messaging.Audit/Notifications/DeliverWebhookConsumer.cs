using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;
using Messaging.ServiceDefaults.Bus;
using Messaging.State.Webhooks;
using Microsoft.Extensions.Options;

namespace Messaging.Audit.Notifications;

/// <summary>
/// Makes one try of one delivery (one event, one subscription) and settles it: delivered or failed for good, recorded
/// for <c>GET /api/v1/webhooks/{id}/deliveries</c>; otherwise sent to wait for its next try
/// (<see cref="WebhookRetrySchedule"/>). A consumer slot is held for one HTTP attempt at most, never for a backoff, so a
/// dead receiver delays nobody else's deliveries.
/// </summary>
public sealed class DeliverWebhookConsumer(WebhookStore store, WebhookSender sender, WebhookRetrySchedule schedule, WebhookMetrics metrics,
    TimeProvider clock, ILogger<DeliverWebhookConsumer> logger) : IConsumer<DeliverWebhook>
{
    public async Task Consume(ConsumeContext<DeliverWebhook> context)
    {
        var delivery = context.Message;
        // Deleted since: nothing more to deliver, and its delivery records went with it.
        if (await store.GetAsync(delivery.SubscriptionId) is not { } subscription)
            return;

        var outcome = await sender.AttemptAsync(subscription, delivery, context.CancellationToken);
        if (!outcome.Delivered)
            metrics.FailedAttempts.Add(1);
        if (outcome.Retryable && schedule.MayRetry(delivery.Attempt))
        {
            await schedule.RetryLaterAsync(context, delivery);
            return;
        }
        if (!outcome.Delivered)
            logger.LogWarning("Webhook {Subscription}: {Type} {EventId} failed after {Attempts} tries: {Error}",
                subscription.Id, delivery.EventType, delivery.EventId, delivery.Attempt, outcome.Error);
        await store.RecordDeliveryAsync(subscription.Id, new WebhookDelivery
        {
            At = clock.GetUtcNow(), EventType = delivery.EventType, EventId = delivery.EventId,
            Status = outcome.Delivered ? WebhookDelivery.Delivered : WebhookDelivery.Failed,
            Attempts = delivery.Attempt, StatusCode = outcome.StatusCode, Error = outcome.Error,
        });
        metrics.Settled(outcome.Delivered);
    }
}

/// <summary>Delivery policy of <see cref="DeliverWebhookConsumer"/>: the quorum queue <c>webhook-attempts</c> and its wait queues.</summary>
public sealed class DeliverWebhookConsumerDefinition : ConsumerDefinition<DeliverWebhookConsumer>
{
    private readonly WebhookRetrySchedule _schedule;

    public DeliverWebhookConsumerDefinition(IOptions<WebhookDeliveryOptions> options, WebhookRetrySchedule schedule)
    {
        _schedule = schedule;
        EndpointName = WebhookRetrySchedule.DeliveryQueue;
        // Each slot is one HTTP attempt at a time; a receiver that hangs holds one until the attempt timeout, and
        // its circuit opens after a few such attempts.
        ConcurrentMessageLimit = options.Value.ConcurrentDeliveries;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DeliverWebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Sent to this queue by name only: no exchange for the DeliverWebhook type, nobody else can publish one here.
        endpointConfigurator.ConfigureConsumeTopology = false;
        endpointConfigurator.PrefetchCount = (ushort)Math.Min(2 * (ConcurrentMessageLimit ?? 16), ushort.MaxValue);
        // Redis away for a moment (reading the subscription, writing the record): try again in place. A retry may repeat
        // the POST (at least once; receivers deduplicate on the delivery id).
        consumerConfigurator.UseMessageRetry(retry => retry.HandleTransientFailures().Intervals(100, 500, 2000));
        // The endpoint's topology, declared again with it after a broker restart; the cast reaches the consume topology
        // that RabbitMQ's BindDeadLetterQueue also uses (the in-memory test transport has no wait queues).
        if (endpointConfigurator is IRabbitMqEndpointConfiguration rabbit)
            _schedule.DeclareWaitQueues(rabbit);
    }
}
