using Messaging.ServiceDefaults.Health;
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
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<RedisOptions>>().Value.Configuration);
            // Start even while Redis is down; calls fail (and are reported) until it returns.
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return services.AddServiceRecords();
    }
}
