using Messaging.Edge.Caddy;
using Messaging.Edge.Routing;
using Messaging.Edge.Sync;
using Messaging.ServiceDefaults;
using Messaging.ServiceDefaults.Bus;
using Messaging.Validation.Hostnames;

namespace Messaging.Edge;

public static class EdgeHostSetup
{
    /// <summary>Everything the edge host runs: the host defaults, the route builder, Caddy's adapter, the syncs and the bus.</summary>
    public static IHostApplicationBuilder AddEdgeHost(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // No port of its own: readiness (broker and Redis) goes to Health:File, $TMPDIR/messaging-edge.health by default.
        builder.AddServiceDefaults("messaging-edge", healthFile: true);
        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HostnameOptions>().BindConfiguration(HostnameOptions.Section).ValidateDataAnnotations()
            .Validate(hostnames => hostnames.BaseDomain.Length > 0, "Edge:BaseDomain is required by the edge host: services are reached at {name}.{BaseDomain}.")
            .ValidateOnStart();
        services.AddSingleton<EdgeRouteBuilder>();
        services.AddSingleton<IEdgeRoutes, CaddyEdgeRoutes>();
        services.AddSingleton<CertificateReporter>();
        services.AddSingleton<EdgeSynchronizer>();
        services.AddHostedService<PeriodicEdgeSync>();
        builder.AddMessagingBus(bus => bus.AddRouteChangeConsumers(), (_, cfg) => cfg.NameBusEndpoint("edge"));
        return builder;
    }
}
