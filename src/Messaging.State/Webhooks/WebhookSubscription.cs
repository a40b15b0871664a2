using StackExchange.Redis;

namespace Messaging.State.Webhooks;

/// <summary>
/// Where to POST events: an http(s) URL, the event types wanted (empty: all), and the secret the deliveries
/// are signed with. The secret is kept as is (it must sign), and shown only when the subscription is made.
/// </summary>
public sealed record WebhookSubscription
{
    public string Id { get; init; } = "";
    public string Url { get; init; } = "";
    public IReadOnlyList<string> EventTypes { get; init; } = [];
    public string Secret { get; init; } = "";
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Whether this subscription wants events of <paramref name="type"/>.</summary>
    public bool Wants(string type) => EventTypes.Count == 0 || EventTypes.Contains(type, StringComparer.Ordinal);

    internal HashEntry[] ToHashEntries() =>
    [
        new("id", Id), new("url", Url), new("event_types", string.Join(' ', EventTypes)), new("secret", Secret),
        new("created_by", CreatedBy), new("created_at", CreatedAt.ToUnixTimeMilliseconds()),
    ];

    internal static WebhookSubscription? FromHashEntries(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var fields = StoredFields.Of(entries);
        return new WebhookSubscription
        {
            Id = fields.Text("id") ?? "",
            Url = fields.Text("url") ?? "",
            EventTypes = (fields.Text("event_types") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Secret = fields.Text("secret") ?? "",
            CreatedBy = fields.Text("created_by") ?? "",
            CreatedAt = fields.Time("created_at") ?? DateTimeOffset.UnixEpoch,
        };
    }
}
