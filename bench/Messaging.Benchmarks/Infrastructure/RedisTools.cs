using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.Benchmarks.Infrastructure;

public static class RedisTools
{
    public static async Task<ConnectionMultiplexer> ConnectAsync() =>
        await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis + ",allowAdmin=true");

    public static Task<long> DeletePrefixAsync(string prefix) => SystemCleanup.DeleteKeysAsync(prefix);

    public static async Task<string> ServerVersionAsync()
    {
        await using var redis = await ConnectAsync();
        return redis.GetServers()[0].Version.ToString();
    }
}
