namespace Messaging.Audit.Notifications;

/// <summary>
/// One event to deliver to one subscription: the audit host's own message, sent by <see cref="WebhookFanOutConsumer{TEvent}"/>
/// to the queue <c>webhook-attempts</c> and back again through a wait queue for each retry. Internal to the audit host
/// (no exchange of its own type; docs/CONTRACTS.md). It carries neither the URL nor the secret: each try reads the
/// subscription as stored at that moment, so a deleted subscription gets nothing more and no secret sits in the broker.
/// </summary>
public sealed record DeliverWebhook
{
    public required string SubscriptionId { get; init; }

    /// <summary>The event's type name, e.g. <c>ServiceCreated</c> (header <c>X-Messaging-Event</c>).</summary>
    public required string EventType { get; init; }

    /// <summary>The event's bus message id, the body's <c>id</c> (header <c>X-Messaging-Delivery</c>): receivers deduplicate on it.</summary>
    public required string EventId { get; init; }

    /// <summary>The JSON body, made once at fan-out, so that every try of every subscription posts the same bytes.</summary>
    public required string Body { get; init; }

    /// <summary>Which try this message is for, from 1.</summary>
    public int Attempt { get; init; } = 1;
}
