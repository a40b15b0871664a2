using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.State;

public static class RedisRegistration
{
    /// <summary>
    /// Registers the key layout and every store of the state module. The connection comes from the host; the
    /// worker binds <see cref="Reservations.PortRangeOptions"/> (the API never reserves).
    /// </summary>
    public static IServiceCollection AddServiceRecords(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new RedisKeys(sp.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix));
        services.AddSingleton<ServiceRecordStore>();
        services.AddSingleton<Tokens.TokenStore>();
        services.AddSingleton<Idempotency.IdempotencyStore>();
        services.AddSingleton<Reservations.PortReservations>();
        services.AddSingleton<Reservations.HostnameReservations>();
        services.AddSingleton<Stacks.StackStore>();
        services.AddSingleton<Builds.BuildStore>();
        services.AddSingleton<Stacks.StackReservations>();
        services.AddSingleton<Templates.TemplateStore>();
        services.AddSingleton<Edge.EdgeRouteStatusStore>();
        services.AddSingleton<Locks.ServiceLocks>();
        services.AddSingleton<Locks.InstallationLocks>();
        services.AddSingleton<Outcomes.CommandOutcomes>();
        services.AddSingleton<Supervision.SupervisionStore>();
        services.AddSingleton<Pools.PoolState>();
        services.AddSingleton<Capacity.CapacityReports>();
        return services;
    }
}
