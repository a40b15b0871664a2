using System.Globalization;
using StackExchange.Redis;

namespace Messaging.State.Webhooks;

/// <summary>How one event's delivery to one subscription ended: delivered, or failed after its last try (or a final answer).</summary>
public sealed record WebhookDelivery
{
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>The stream entry id (set when read back).</summary>
    public string Id { get; init; } = "";
    public DateTimeOffset At { get; init; }
    public string EventType { get; init; } = "";
    /// <summary>The bus message id of the event, also the body's <c>id</c>: receivers deduplicate on it.</summary>
    public string EventId { get; init; } = "";
    /// <summary><see cref="Delivered"/> or <see cref="Failed"/>.</summary>
    public string Status { get; init; } = "";
    /// <summary>How many tries were made, the last included (a try skipped because the receiver's circuit was open counts).</summary>
    public int Attempts { get; init; }
    /// <summary>The last HTTP status answered, if any.</summary>
    public int? StatusCode { get; init; }
    /// <summary>Why the last try failed (no answer, timeout, refused address, circuit open), if it did.</summary>
    public string? Error { get; init; }

    internal NameValueEntry[] ToStreamFields() =>
    [
        new("at", At.ToUnixTimeMilliseconds()), new("event_type", EventType), new("event_id", EventId), new("status", Status),
        new("attempts", Attempts), new("status_code", StatusCode?.ToString(CultureInfo.InvariantCulture) ?? ""), new("error", Error ?? ""),
    ];

    internal static WebhookDelivery FromStreamEntry(StreamEntry entry)
    {
        var fields = StoredFields.Of(entry);
        return new WebhookDelivery
        {
            Id = entry.Id.ToString(),
            At = fields.Time("at") ?? DateTimeOffset.UnixEpoch,
            EventType = fields.Text("event_type") ?? "",
            EventId = fields.Text("event_id") ?? "",
            Status = fields.Text("status") ?? "",
            Attempts = fields.Int("attempts") ?? 0,
            StatusCode = fields.Int("status_code"),
            Error = fields.Text("error"),
        };
    }
}
