using System.Text.Json;
using MassTransit;
using Messaging.State.Webhooks;
using Messaging.Validation.Webhooks;

namespace Messaging.Audit.Notifications;

/// <summary>Sends an event to every subscription that wants its type, all at once.</summary>
public sealed class WebhookDispatcher(WebhookStore store, WebhookSender sender, TimeProvider clock)
{
    public async Task DispatchAsync<T>(ConsumeContext<T> context) where T : class
    {
        var type = typeof(T).Name;
        var subscriptions = (await store.ListAsync()).Where(s => s.Wants(type)).ToList();
        if (subscriptions.Count == 0)
            return;
        var eventId = (context.MessageId ?? NewId.NextGuid()).ToString("D");
        var body = Body(eventId, type, context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : clock.GetUtcNow(),
            context.Message);
        await Task.WhenAll(subscriptions.Select(s => sender.DeliverAsync(s, type, eventId, body, context.CancellationToken)));
    }

    /// <summary>The delivery body: <c>{"id", "type", "occurred_at", "data": {the event, snake_case}}</c>.</summary>
    public static byte[] Body(string eventId, string type, DateTimeOffset occurredAt, object message) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["id"] = eventId,
            ["type"] = type,
            ["occurred_at"] = occurredAt,
            ["data"] = JsonSerializer.SerializeToElement(message, message.GetType(), MessageJson.Options),
        }, MessageJson.Options);
}
