using Messaging.State.Webhooks;
using Messaging.Validation.Webhooks;

namespace Messaging.Api.Webhooks;

/// <summary>A subscription as shown: never its secret (that is in the creation answer only).</summary>
public sealed record WebhookView(string Id, string Url, IReadOnlyList<string> EventTypes, string CreatedBy, DateTimeOffset CreatedAt)
{
    public static WebhookView From(WebhookSubscription s) => new(s.Id, s.Url, s.EventTypes, s.CreatedBy, s.CreatedAt);
}

/// <summary>The answer to a creation: the subscription and its secret, shown this once.</summary>
public sealed record CreatedWebhook(string Secret, WebhookView Details);

public sealed record WebhookList(IReadOnlyList<WebhookView> Items);

/// <summary>How one delivery ended (after all its attempts).</summary>
public sealed record WebhookDeliveryView(string Id, DateTimeOffset At, string EventType, string EventId, string Status, int Attempts,
    int? StatusCode, string? Error)
{
    public static WebhookDeliveryView From(WebhookDelivery d) => new(d.Id, d.At, d.EventType, d.EventId, d.Status, d.Attempts, d.StatusCode, d.Error);
}

/// <summary>The latest deliveries of a subscription, newest first.</summary>
public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryView> Items);
