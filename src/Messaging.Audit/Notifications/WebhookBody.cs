using System.Text.Json;

namespace Messaging.Audit.Notifications;

/// <summary>The delivery body: <c>{"id", "type", "occurred_at", "data": {the event, snake_case}}</c>.</summary>
public static class WebhookBody
{
    public static string Create(string eventId, string type, DateTimeOffset occurredAt, object message) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = eventId,
            ["type"] = type,
            ["occurred_at"] = occurredAt,
            ["data"] = JsonSerializer.SerializeToElement(message, message.GetType(), MessageJson.Options),
        }, MessageJson.Options);
}
