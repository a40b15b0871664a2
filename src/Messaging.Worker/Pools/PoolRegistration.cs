using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

public static class PoolRegistration
{
    /// <summary>Warm pools (issue 20): off unless <c>Pools:Enabled</c> and entries are configured.</summary>
    public static IServiceCollection AddPools(this IServiceCollection services)
    {
        services.AddOptions<PoolOptions>().BindConfiguration(PoolOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PoolOptions>, PoolOptionsValidator>();
        services.AddSingleton<PoolDefinitions>();
        services.AddSingleton<PoolTelemetry>();
        services.AddSingleton<PoolClaimBook>();
        services.AddSingleton<PoolEngine>();
        services.AddSingleton<PoolMemberFactory>();
        services.AddSingleton<ColdCreations>();
        services.AddSingleton<WarmClaims>();
        services.AddSingleton<PoolKeeper>();
        services.AddHostedService(sp => sp.GetRequiredService<PoolKeeper>());
        return services;
    }
}
