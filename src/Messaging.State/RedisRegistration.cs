using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.State;

public static class RedisRegistration
{
    /// <summary>Registers the key layout and the record and token stores. The connection comes from the host.</summary>
    public static IServiceCollection AddServiceRecords(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new RedisKeys(sp.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix));
        services.AddSingleton<ServiceRecordStore>();
        services.AddSingleton<Tokens.TokenStore>();
        return services;
    }
}
