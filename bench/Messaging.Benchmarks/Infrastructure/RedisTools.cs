using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.Benchmarks.Infrastructure;

public static class RedisTools
{
    public static async Task<ConnectionMultiplexer> ConnectAsync() =>
        await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis + ",allowAdmin=true");

    /// <summary>Deletes every key matching <paramref name="pattern"/> (SCAN, then DEL in batches); how many.</summary>
    public static async Task<long> DeleteAsync(IConnectionMultiplexer redis, string pattern)
    {
        var db = redis.GetDatabase();
        var server = redis.GetServers()[0];
        var batch = new List<RedisKey>(1000);
        long deleted = 0;
        await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: 1000))
        {
            batch.Add(key);
            if (batch.Count == 1000)
            {
                deleted += await db.KeyDeleteAsync([.. batch]);
                batch.Clear();
            }
        }
        if (batch.Count > 0)
            deleted += await db.KeyDeleteAsync([.. batch]);
        return deleted;
    }

    public static async Task<long> DeletePrefixAsync(string prefix)
    {
        await using var redis = await ConnectAsync();
        return await DeleteAsync(redis, prefix + "*");
    }

    public static async Task<string> ServerVersionAsync()
    {
        await using var redis = await ConnectAsync();
        return redis.GetServers()[0].Version.ToString();
    }
}
