using MassTransit;

namespace Messaging.Audit.Trail;

/// <summary>
/// Delivery policy of <see cref="AuditConsumer{TMessage}"/>: every type on the one quorum queue <c>audit</c>, one
/// message at a time. MassTransit puts consumers with the same endpoint name on one endpoint, so the retry is
/// set on each consumer (on the endpoint, twelve definitions would stack twelve retry filters).
/// </summary>
public sealed class AuditConsumerDefinition<TMessage> : ConsumerDefinition<AuditConsumer<TMessage>>
    where TMessage : class
{
    public AuditConsumerDefinition()
    {
        EndpointName = AuditConsumerRegistration.Queue;
        // One at a time keeps the trail in the order the broker delivered: a command is always
        // recorded before the events it caused. An append is one Redis round trip, so this is not slow.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AuditConsumer<TMessage>> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 64;
        // Redis blips: try again in place (order kept); past that the message goes to audit_error.
        consumerConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 2000, 5000));
    }
}
