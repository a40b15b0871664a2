using Messaging.State.Tokens;
using StackExchange.Redis;

namespace Messaging.State.Capacity;

/// <summary>How many ports of the range are taken: reserved (services' and warm pool members') and blocked (refused by the engine).</summary>
public sealed record PortCounts(long Reserved, long Blocked);

/// <summary>
/// What the API can tell about capacity without the engine (issue 19, the dashboard's create form and admin view): the
/// worker's report of its allowlist caps, port range and host budget (its own configuration, which the API does not
/// have), written as JSON on an expiring key like the pools' summary, and the counts Redis already holds (ports
/// reserved and blocked, the host budget in use).
/// </summary>
public sealed class CapacityReports(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider clock)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>Writes the worker's report (JSON); it expires when no worker writes it again.</summary>
    public Task WriteAsync(string json, TimeSpan ttl) => Db.StringSetAsync(keys.CapacityReport, json, ttl);

    /// <summary>The last report a worker wrote, or null (no worker running lately).</summary>
    public async Task<string?> ReadAsync() => await Db.StringGetAsync(keys.CapacityReport);

    /// <summary>Ports held now: every reservation of the ports hash, and the blocked ports not yet due for another try.</summary>
    public async Task<PortCounts> PortCountsAsync()
    {
        var reserved = Db.HashLengthAsync(keys.Ports);
        var blocked = Db.SortedSetLengthAsync(keys.BlockedPorts, clock.GetUtcNow().ToUnixTimeMilliseconds(), double.PositiveInfinity);
        return new PortCounts(await reserved, await blocked);
    }

    /// <summary>What all services hold of the host budget (memory bytes, millicpus), as the reservations counted it.</summary>
    public async Task<(long MemoryBytes, long MilliCpus)> HostUsageAsync()
    {
        var values = await Db.HashGetAsync(keys.HostUsage, [UsageFields.MemoryBytes, UsageFields.MilliCpus]);
        return (values[0].HasValue ? (long)values[0] : 0, values[1].HasValue ? (long)values[1] : 0);
    }
}

/// <summary>
/// The worker's report (JSON in snake_case on <see cref="RedisKeys.CapacityReport"/>): the caps and defaults of each
/// allowlist entry (the global caps already applied), the host port range and the host budget.
/// </summary>
public sealed record CapacityReport(DateTimeOffset UpdatedAt, IReadOnlyList<ImageCaps> Images, PortRange Ports, HostBudgetReport? HostBudget)
{
    public static readonly System.Text.Json.JsonSerializerOptions Json = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, Json);

    /// <summary>Null when <paramref name="json"/> is not a report (a worker of another version, say).</summary>
    public static CapacityReport? FromJson(string json)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<CapacityReport>(json, Json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>One allowlist entry as users may use it: the highest and the default limits, and the container port by default.</summary>
public sealed record ImageCaps(string Image, long MaxMemoryBytes, double MaxCpus, long DefaultMemoryBytes, double DefaultCpus, int InternalPort);

/// <summary>The host ports services are published on (<c>Ports:Min</c>..<c>Ports:Max</c>).</summary>
public sealed record PortRange(int Min, int Max);

/// <summary>What all services together may hold of the host (<c>HostBudget</c>, or the engine's figures).</summary>
public sealed record HostBudgetReport(long? MemoryBytes, double? Cpus);
