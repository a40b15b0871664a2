using MassTransit;

namespace Messaging.Audit.Trail;

/// <summary>
/// Records one command or event type from the queue <c>audit</c>, which is bound to the exchange of every command
/// and event: one handler for all of them, registered once per type (<see cref="AuditConsumerRegistration"/>).
/// </summary>
/// <remarks>
/// Only a message that came through its own type's exchange is recorded. The command exchanges are open to
/// other systems, and MassTransit picks the consumer by the envelope's <c>messageType</c>, which the publisher
/// writes: without this check an envelope typed <c>ServiceRemoved</c> published to <c>Messaging.Contracts:CreateService</c>
/// would enter the trail as an event of someone's service. RabbitMQ names in every delivery the exchange the
/// message was published to (through exchange-to-exchange bindings too); a publisher cannot set it, and only the
/// worker may write the event exchanges. A transport that does not name the exchange (the in-memory one) records nothing.
/// </remarks>
public sealed class AuditConsumer<TMessage>(AuditRecorder recorder, IBus bus, ILogger<AuditConsumer<TMessage>> logger) : IConsumer<TMessage>
    where TMessage : class
{
    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var cameThrough = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery) ? delivery.Exchange : null;
        var ownExchange = (bus.Topology.Publish<TMessage>() as IRabbitMqMessagePublishTopology<TMessage>)?.Exchange.ExchangeName;
        if (cameThrough is null || cameThrough != ownExchange)
        {
            // Acknowledged and dropped, neither retried nor sent to audit_error: forgeries would otherwise fill
            // the error queue and hold the trail up behind their retries.
            logger.LogWarning("Not recorded: a {Type} (message {MessageId}) that came through the exchange {Exchange}, not {OwnExchange}",
                typeof(TMessage).Name, context.MessageId, cameThrough ?? "(unknown)", ownExchange);
            return;
        }
        await recorder.RecordAsync(context);
    }
}
