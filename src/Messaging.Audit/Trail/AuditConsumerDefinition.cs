using MassTransit;

namespace Messaging.Audit.Trail;

/// <summary>Delivery policy of <see cref="AuditConsumer"/>: its own quorum queue <c>audit</c>, one message at a time.</summary>
public sealed class AuditConsumerDefinition : ConsumerDefinition<AuditConsumer>
{
    public const string Queue = "audit";

    public AuditConsumerDefinition()
    {
        EndpointName = Queue;
        // One at a time keeps the trail in the order the broker delivered: a command is always
        // recorded before the events it caused. An append is one Redis round trip, so this is not slow.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AuditConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 64;
        // Redis blips: try again in place (order kept); past that the message goes to audit_error.
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 2000, 5000));
    }
}
