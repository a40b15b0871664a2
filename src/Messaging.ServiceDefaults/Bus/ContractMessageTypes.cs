using MassTransit;
using Messaging.Contracts;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// MassTransit names in an envelope's <c>messageType</c> every interface the message implements and every base
/// record it derives from. The contracts' shapes (<see cref="IServiceCommand"/>, <see cref="IServiceEvent"/>...,
/// <see cref="ServiceLifecycleCommand"/>, <see cref="ServiceLifecycleEvent"/>) exist for our code only, so every host
/// (<see cref="MessagingBus"/>) removes their URNs: the envelope names exactly the types docs/CONTRACTS.md documents,
/// as it did before the shapes existed. Their exchanges are kept away by <see cref="ExcludeFromTopologyAttribute"/>
/// on the shapes themselves.
/// </summary>
public static class ContractMessageTypes
{
    /// <summary>URNs of the interfaces and base records of Messaging.Contracts marked <see cref="ExcludeFromTopologyAttribute"/>.</summary>
    public static IReadOnlySet<string> ShapeUrns { get; } = typeof(IServiceCommand).Assembly.GetExportedTypes()
        .Where(type => type.IsDefined(typeof(ExcludeFromTopologyAttribute), inherit: false))
        .Select(MessageUrn.ForTypeString)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Publishes every message with the shape interfaces left out of its <c>messageType</c>.</summary>
    public static void PublishContractTypesOnly(this IBusFactoryConfigurator bus) =>
        bus.ConfigurePublish(publish => publish.UseExecute(context =>
            context.SupportedMessageTypes = [.. context.SupportedMessageTypes.Where(urn => !ShapeUrns.Contains(urn))]));
}
