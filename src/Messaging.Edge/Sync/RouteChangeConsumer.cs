using MassTransit;

namespace Messaging.Edge.Sync;

/// <summary>
/// Any service event may change what a hostname should answer, so each one triggers a sync. The event is only the
/// trigger: routes come from the records, never from the message, so an event forged onto this queue changes nothing.
/// </summary>
public sealed class RouteChangeConsumer<TEvent>(EdgeSynchronizer synchronizer, ILogger<RouteChangeConsumer<TEvent>> logger) : IConsumer<TEvent>
    where TEvent : class
{
    public async Task Consume(ConsumeContext<TEvent> context)
    {
        try
        {
            await synchronizer.SyncAsync(context.CancellationToken);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Not retried, not dead-lettered: the periodic sync applies the same records once Caddy or Redis is back.
            logger.LogWarning("A {Event} could not be applied to the edge now; the periodic sync will: {Error}", typeof(TEvent).Name, e.Message);
        }
    }
}

/// <summary>Every service event on the one quorum queue <c>edge-routes</c>, one at a time (a sync serves a burst anyway).</summary>
public sealed class RouteChangeConsumerDefinition<TEvent>()
    : Messaging.ServiceDefaults.Bus.SharedQueueConsumerDefinition<RouteChangeConsumer<TEvent>>(RouteChangeRegistration.Queue, concurrentMessageLimit: 1, prefetchCount: 64)
    where TEvent : class
{
    protected override void ConfigureDelivery(IConsumerConfigurator<RouteChangeConsumer<TEvent>> consumer, IRegistrationContext context)
    {
    }
}

public static class RouteChangeRegistration
{
    public const string Queue = "edge-routes";

    /// <summary>
    /// One consumer per service event of Messaging.Contracts (found by shape, so a new event needs no line here: the
    /// supervisor's ServiceUnhealthy, ServiceRecovered, ServiceCrashLooping... included), and the reconciler's
    /// ServiceDriftCorrected (a vanished container fails its service).
    /// </summary>
    public static void AddRouteChangeConsumers(this IBusRegistrationConfigurator bus)
    {
        var events = typeof(Messaging.Contracts.IServiceEvent).Assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(Messaging.Contracts.IServiceEvent).IsAssignableFrom(type))
            .Append(typeof(Messaging.Contracts.ServiceDriftCorrected));
        foreach (var type in events)
            bus.AddConsumer(typeof(RouteChangeConsumer<>).MakeGenericType(type), typeof(RouteChangeConsumerDefinition<>).MakeGenericType(type));
    }
}
