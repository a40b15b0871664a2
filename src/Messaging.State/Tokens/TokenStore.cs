using System.Security.Cryptography;
using System.Text;
using Messaging.State.Scripts;
using StackExchange.Redis;

namespace Messaging.State.Tokens;

/// <summary>
/// API tokens in Redis. A token is 256 random bits shown once at creation; Redis keeps its SHA-256 only,
/// indexed for lookup, and the lookup ends with a constant-time comparison.
/// </summary>
public sealed class TokenStore(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider clock)
{
    public const string Prefix = "msg_";
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private IDatabase Db => redis.GetDatabase();

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Creates a token; returns the record and the token, which is never retrievable again.</summary>
    public async Task<(TokenRecord Record, string Token)> CreateAsync(string name, IReadOnlyList<string> scopes,
        DateTimeOffset? expiresAt, Quota quota)
    {
        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var record = new TokenRecord
        {
            Id = "tok-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant(),
            Name = name,
            Scopes = scopes,
            Sha256 = Convert.ToHexString(Hash(token)),
            CreatedAt = clock.GetUtcNow(),
            ExpiresAt = expiresAt,
            MaxServices = quota.MaxServices,
            MaxMemoryBytes = quota.MaxMemoryBytes,
            MaxCpus = quota.MaxCpus,
        };
        await SaveAsync(record);
        return (record, token);
    }

    /// <summary>Stores a token record under a known hash (the bootstrap token; tests).</summary>
    public async Task SaveAsync(TokenRecord record)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(keys.Token(record.Id), record.ToHashEntries());
        _ = transaction.HashSetAsync(keys.TokensByHash, record.Sha256, record.Id);
        _ = transaction.SortedSetAddAsync(keys.Tokens, record.Id, record.CreatedAt.ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
    }

    public async Task<TokenRecord?> GetAsync(string id) => TokenRecord.FromHashEntries(await Db.HashGetAllAsync(keys.Token(id)));

    /// <summary>
    /// The usable token behind a presented secret, or null (unknown, revoked or expired). One round trip:
    /// every API request pays it, so the lookup by hash and the read of the record are one script.
    /// </summary>
    public async Task<TokenRecord?> AuthenticateAsync(string presented)
    {
        var hash = Hash(presented);
        var found = await Db.ScriptEvaluateAsync(StateScripts.TokenByHash,
            new { byHash = keys.TokensByHash, sha256 = Convert.ToHexString(hash), tokenKeyPrefix = keys.TokenKeyPrefix });
        if (found.IsNull)
            return null;
        var flat = (RedisValue[])found!;
        var record = TokenRecord.FromHashEntries([.. Enumerable.Range(0, flat.Length / 2).Select(i => new HashEntry(flat[2 * i], flat[2 * i + 1]))]);
        var now = clock.GetUtcNow();
        if (record is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(record.Sha256), hash) || !record.IsUsableAt(now))
            return null;
        if (record.LastUsedAt is null || now - record.LastUsedAt > LastUsedResolution)
            _ = Db.HashSetAsync(keys.Token(record.Id), "last_used_at", now.ToUnixTimeMilliseconds(), flags: CommandFlags.FireAndForget);
        return record;
    }

    public async Task<IReadOnlyList<TokenRecord>> ListAsync()
    {
        var ids = await Db.SortedSetRangeByRankAsync(keys.Tokens);
        var records = await Task.WhenAll(ids.Select(id => GetAsync(id.ToString())));
        return [.. records.OfType<TokenRecord>()];
    }

    /// <summary>Revokes a token: it authenticates no more. Its services stay (an admin can remove them).</summary>
    public async Task<bool> RevokeAsync(string id)
    {
        var record = await GetAsync(id);
        if (record is null)
            return false;
        await Db.HashSetAsync(keys.Token(id), "revoked_at", clock.GetUtcNow().ToUnixTimeMilliseconds());
        return true;
    }

    /// <summary>The quota of an owner: the token's, or unlimited for owners that are not tokens (other systems).</summary>
    public async Task<Quota> QuotaOfAsync(string owner) => (await GetAsync(owner))?.Quota ?? Quota.Unlimited;

    /// <summary>What an owner holds now, as counted by the worker's reservations.</summary>
    public async Task<Usage> UsageOfAsync(string owner)
    {
        var values = await Db.HashGetAsync(keys.Usage(owner), [UsageFields.Services, UsageFields.MemoryBytes, UsageFields.MilliCpus]);
        long Value(int i) => values[i].TryParse(out long v) ? v : 0;
        return new Usage((int)Value(0), Value(1), Value(2));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
