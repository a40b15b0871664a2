using MassTransit;
using Messaging.Contracts;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// MassTransit names in an envelope's <c>messageType</c> every interface the message implements. The contracts'
/// shape interfaces (<see cref="IServiceCommand"/>, <see cref="IServiceEvent"/>...) exist for our handlers only,
/// so every host (<see cref="MessagingBus"/>) removes their URNs: the envelope names exactly the types docs/CONTRACTS.md
/// documents, as it did before the interfaces existed. Their exchanges are kept away by
/// <see cref="ExcludeFromTopologyAttribute"/> on the interfaces themselves.
/// </summary>
public static class ContractMessageTypes
{
    /// <summary>URNs of the interfaces of Messaging.Contracts marked <see cref="ExcludeFromTopologyAttribute"/>.</summary>
    public static IReadOnlySet<string> ShapeUrns { get; } = typeof(IServiceCommand).Assembly.GetExportedTypes()
        .Where(type => type.IsInterface && type.IsDefined(typeof(ExcludeFromTopologyAttribute), inherit: false))
        .Select(MessageUrn.ForTypeString)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Publishes every message with the shape interfaces left out of its <c>messageType</c>.</summary>
    public static void PublishContractTypesOnly(this IBusFactoryConfigurator bus) =>
        bus.ConfigurePublish(publish => publish.UseExecute(context =>
            context.SupportedMessageTypes = [.. context.SupportedMessageTypes.Where(urn => !ShapeUrns.Contains(urn))]));
}
