using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Messaging.State.Idempotency;

/// <summary>
/// Where a request holding an <c>Idempotency-Key</c> is: still being published, accepted by the broker, or
/// unconfirmed (handed over, no confirm in time: the service may still start, so a retry must not make another).
/// </summary>
public enum IdempotencyState { Pending, Accepted, Unconfirmed }

/// <summary>What an <c>Idempotency-Key</c> stands for: the service it made and a hash of the body it came with.</summary>
public sealed record IdempotencyEntry(IdempotencyState State, Guid ServiceId, string ServiceName, string BodyHash);

/// <summary>
/// <c>Idempotency-Key</c> on create: the same key from the same owner yields the same service, even while
/// the first request is still being published. A key is claimed before publishing and marked accepted
/// after the broker's confirm (unconfirmed when the confirm timed out after the hand-over); an attempt that
/// created nothing gives the key back. Entries expire after <see cref="Retention"/>.
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

    /// <summary>Records how the request holding the key was answered (<paramref name="answered"/>'s state), for retries.</summary>
    public Task MarkAnsweredAsync(string owner, string key, IdempotencyEntry answered) =>
        Db.StringSetAsync(keys.IdempotencyKey(owner, key), JsonSerializer.Serialize(answered, Json), Retention);

    public Task ReleaseAsync(string owner, string key) => Db.KeyDeleteAsync(keys.IdempotencyKey(owner, key));

    /// <summary>
    /// Waits for the request that holds the key to finish: its answered entry, or null when it failed
    /// (the key is free again) or is still going after <paramref name="patience"/>.
    /// </summary>
    public async Task<(IdempotencyEntry? Answered, bool Released)> WaitForAsync(string owner, string key, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var value = await Db.StringGetAsync(keys.IdempotencyKey(owner, key));
            if (value.IsNullOrEmpty)
                return (null, true);
            var entry = JsonSerializer.Deserialize<IdempotencyEntry>(value.ToString(), Json)!;
            if (entry.State != IdempotencyState.Pending)
                return (entry, false);
            if (DateTime.UtcNow > deadline)
                return (null, false);
            await Task.Delay(50);
        }
    }
}
