using MassTransit;
using Messaging.Contracts;

namespace Messaging.Audit.Trail;

public static class AuditConsumerRegistration
{
    /// <summary>The quorum queue the trail is read from, bound to the exchange of every audited type.</summary>
    public const string Queue = "audit";

    /// <summary>What the trail records: every command and every event of Messaging.Contracts, by their shape.</summary>
    public static IReadOnlyList<Type> AuditedTypes { get; } =
    [
        .. typeof(IServiceCommand).Assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false }
                && (typeof(IServiceCommand).IsAssignableFrom(type) || typeof(IServiceEvent).IsAssignableFrom(type)))
            .OrderBy(type => type.Name, StringComparer.Ordinal),
    ];

    /// <summary>One <see cref="AuditConsumer{TMessage}"/> per audited type, all on <see cref="Queue"/>.</summary>
    public static void AddAuditConsumers(this IBusRegistrationConfigurator bus)
    {
        foreach (var type in AuditedTypes)
            bus.AddConsumer(typeof(AuditConsumer<>).MakeGenericType(type), typeof(AuditConsumerDefinition<>).MakeGenericType(type));
    }
}
