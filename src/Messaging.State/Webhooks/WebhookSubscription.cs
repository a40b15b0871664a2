using System.Globalization;
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
        var map = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        return new WebhookSubscription
        {
            Id = map.GetValueOrDefault("id", ""),
            Url = map.GetValueOrDefault("url", ""),
            EventTypes = map.GetValueOrDefault("event_types", "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Secret = map.GetValueOrDefault("secret", ""),
            CreatedBy = map.GetValueOrDefault("created_by", ""),
            CreatedAt = long.TryParse(map.GetValueOrDefault("created_at"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UnixEpoch,
        };
    }
}
