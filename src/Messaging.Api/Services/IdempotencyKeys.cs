using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.State;
using StackExchange.Redis;

namespace Messaging.Api.Services;

/// <summary>
/// <c>Idempotency-Key</c> on create: the same key from the same owner yields the same service, even while
/// the first request is still being published. A key is claimed before publishing and marked accepted
/// after the broker's confirm; a failed first attempt gives the key back.
/// </summary>
public sealed partial class IdempotencyKeys(IConnectionMultiplexer redis, RedisKeys keys)
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    [GeneratedRegex(@"^[A-Za-z0-9_.:-]{1,128}\z", RegexOptions.CultureInvariant)]
    public static partial Regex KeyPattern();

    public sealed record Entry(string State, Guid ServiceId, string ServiceName, string BodyHash);

    public static string Hash(CreateServiceRequest request) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request)));

    /// <summary>Claims the key for a new service; null when it was claimed already (see <see cref="WaitForAsync"/>).</summary>
    public async Task<bool> TryClaimAsync(string owner, string key, Entry pending) =>
        await redis.GetDatabase().StringSetAsync(keys.IdempotencyKey(owner, key), JsonSerializer.Serialize(pending), Retention, When.NotExists);

    public Task MarkAcceptedAsync(string owner, string key, Entry pending) =>
        redis.GetDatabase().StringSetAsync(keys.IdempotencyKey(owner, key), JsonSerializer.Serialize(pending with { State = "accepted" }), Retention);

    public Task ReleaseAsync(string owner, string key) => redis.GetDatabase().KeyDeleteAsync(keys.IdempotencyKey(owner, key));

    /// <summary>
    /// Waits for the request that holds the key to finish: its accepted entry, or null when it failed
    /// (the key is free again) or is still going after <paramref name="patience"/>.
    /// </summary>
    public async Task<(Entry? Accepted, bool Released)> WaitForAsync(string owner, string key, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var value = await redis.GetDatabase().StringGetAsync(keys.IdempotencyKey(owner, key));
            if (value.IsNullOrEmpty)
                return (null, true);
            var entry = JsonSerializer.Deserialize<Entry>(value.ToString())!;
            if (entry.State == "accepted")
                return (entry, false);
            if (DateTime.UtcNow > deadline)
                return (null, false);
            await Task.Delay(50);
        }
    }
}
