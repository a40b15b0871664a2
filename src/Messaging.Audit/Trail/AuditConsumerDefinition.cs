using MassTransit;
using Messaging.ServiceDefaults.Bus;

namespace Messaging.Audit.Trail;

/// <summary>
/// Delivery policy of <see cref="AuditConsumer{TMessage}"/>: every type on the one quorum queue <c>audit</c>, one
/// message at a time. One at a time keeps the trail in the order the broker delivered: a command is always recorded
/// before the events it caused. An append is one Redis round trip, so this is not slow.
/// </summary>
public sealed class AuditConsumerDefinition<TMessage>()
    : SharedQueueConsumerDefinition<AuditConsumer<TMessage>>(AuditConsumerRegistration.Queue, concurrentMessageLimit: 1, prefetchCount: 64)
    where TMessage : class
{
    // Redis blips: try again in place (order kept); past that the message goes to audit_error.
    protected override void ConfigureDelivery(IConsumerConfigurator<AuditConsumer<TMessage>> consumer, IRegistrationContext context) =>
        consumer.UseMessageRetry(retry => retry.Intervals(100, 500, 2000, 5000));
}
