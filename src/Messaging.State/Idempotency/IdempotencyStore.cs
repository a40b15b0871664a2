using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Messaging.State.Idempotency;

/// <summary>Where a request holding an <c>Idempotency-Key</c> is: still being published, or accepted by the broker.</summary>
public enum IdempotencyState { Pending, Accepted }

/// <summary>What an <c>Idempotency-Key</c> stands for: the service it made and a hash of the body it came with.</summary>
public sealed record IdempotencyEntry(IdempotencyState State, Guid ServiceId, string ServiceName, string BodyHash);

/// <summary>
/// <c>Idempotency-Key</c> on create: the same key from the same owner yields the same service, even while
/// the first request is still being published. A key is claimed before publishing and marked accepted
/// after the broker's confirm; a failed first attempt gives the key back. Entries expire after <see cref="Retention"/>.
/// </summary>
public sealed class IdempotencyStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    // "pending"/"accepted" in the stored JSON, as before the state had a type.
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Claims the key for a new service; false when it was claimed already (see <see cref="WaitForAsync"/>).</summary>
    public Task<bool> TryClaimAsync(string owner, string key, IdempotencyEntry pending) =>
        Db.StringSetAsync(keys.IdempotencyKey(owner, key), JsonSerializer.Serialize(pending with { State = IdempotencyState.Pending }, Json),
            Retention, When.NotExists);

    public Task MarkAcceptedAsync(string owner, string key, IdempotencyEntry pending) =>
        Db.StringSetAsync(keys.IdempotencyKey(owner, key), JsonSerializer.Serialize(pending with { State = IdempotencyState.Accepted }, Json), Retention);

    public Task ReleaseAsync(string owner, string key) => Db.KeyDeleteAsync(keys.IdempotencyKey(owner, key));

    /// <summary>
    /// Waits for the request that holds the key to finish: its accepted entry, or null when it failed
    /// (the key is free again) or is still going after <paramref name="patience"/>.
    /// </summary>
    public async Task<(IdempotencyEntry? Accepted, bool Released)> WaitForAsync(string owner, string key, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var value = await Db.StringGetAsync(keys.IdempotencyKey(owner, key));
            if (value.IsNullOrEmpty)
                return (null, true);
            var entry = JsonSerializer.Deserialize<IdempotencyEntry>(value.ToString(), Json)!;
            if (entry.State == IdempotencyState.Accepted)
                return (entry, false);
            if (DateTime.UtcNow > deadline)
                return (null, false);
            await Task.Delay(50);
        }
    }
}
