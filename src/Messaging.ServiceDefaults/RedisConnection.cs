using Messaging.ServiceDefaults.Health;
using Messaging.ServiceDefaults.Secrets;
using Messaging.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.ServiceDefaults;

public static class RedisConnection
{
    /// <summary>Registers the Redis connection, its readiness check and the clock, then the state module on it.</summary>
    public static IServiceCollection AddRedisState(this IServiceCollection services)
    {
        services.PostConfigure<RedisOptions>(redis =>
        {
            if (!string.IsNullOrEmpty(redis.PasswordFile))
                redis.Password = SecretFile.Read(redis.PasswordFile, $"{RedisOptions.Section}:{nameof(RedisOptions.PasswordFile)}");
        });
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = ClientOptions(sp.GetRequiredService<IOptions<RedisOptions>>().Value);
            // Start even while Redis is down; calls fail (and are reported) until it returns.
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return services.AddServiceRecords();
    }

    /// <summary>The connection string, with <c>Redis:User</c> and <c>Redis:Password</c> (or its file) over what it says.</summary>
    public static ConfigurationOptions ClientOptions(RedisOptions redis)
    {
        var options = ConfigurationOptions.Parse(redis.Configuration);
        if (!string.IsNullOrEmpty(redis.User))
            options.User = redis.User;
        if (!string.IsNullOrEmpty(redis.Password))
            options.Password = redis.Password;
        return options;
    }
}
