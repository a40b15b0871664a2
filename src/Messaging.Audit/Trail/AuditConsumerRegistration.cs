using MassTransit;

namespace Messaging.Audit.Trail;

public static class AuditConsumerRegistration
{
    /// <summary>The quorum queue the trail is read from, bound to the exchange of every audited type.</summary>
    public const string Queue = "audit";

    /// <summary>One <see cref="AuditConsumer{TMessage}"/> per command and event, all on <see cref="Queue"/>.</summary>
    public static void AddAuditConsumers(this IBusRegistrationConfigurator bus)
    {
        foreach (var type in ServiceMessageTypes.Commands.Concat(ServiceMessageTypes.Events))
            bus.AddConsumer(typeof(AuditConsumer<>).MakeGenericType(type), typeof(AuditConsumerDefinition<>).MakeGenericType(type));
    }
}
