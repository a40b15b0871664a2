using System.Reflection;
using MassTransit;
using Messaging.Contracts;
using Messaging.ServiceDefaults.Bus;
using Messaging.State.Audit;

namespace Messaging.UnitTests;

/// <summary>
/// The shape interfaces of Messaging.Contracts (<see cref="IServiceCommand"/>, <see cref="IServiceEvent"/>...) serve
/// our handlers and stay off the wire: no exchange, no exchange binding, no URN in an envelope's messageType.
/// </summary>
public sealed class ContractShapeTests
{
    private static readonly Type[] Commands = [typeof(CreateService), typeof(StopService), typeof(StartService), typeof(RestartService), typeof(RemoveService)];

    private static readonly Type[] Events =
    [
        typeof(ServiceCreated), typeof(ServiceCreationFailed), typeof(ServiceStopped), typeof(ServiceStarted),
        typeof(ServiceRestarted), typeof(ServiceRemoved), typeof(ServiceCommandRejected),
    ];

    private static readonly Type[] ShapeInterfaces =
        [.. typeof(IServiceCommand).Assembly.GetExportedTypes().Where(type => type.IsInterface)];

    public static TheoryData<Type> Messages() => [.. Commands, .. Events];

    [Fact]
    public void Every_command_and_event_has_its_shape_and_the_audit_trail_knows_each_of_them()
    {
        Assert.All(Commands, type => Assert.True(typeof(IServiceCommand).IsAssignableFrom(type), type.Name));
        Assert.All(Events, type => Assert.True(typeof(IServiceEvent).IsAssignableFrom(type), type.Name));
        Assert.Equal(AuditMessageTypes.Commands.Order(), Commands.Select(t => t.Name).Order());
        Assert.Equal(AuditMessageTypes.Events.Order(), Events.Select(t => t.Name).Order());
    }

    [Fact]
    public void Every_shape_interface_is_excluded_from_the_broker_topology_and_from_the_implemented_types()
    {
        Assert.Equal(["IServiceCommand", "IServiceEvent", "IServiceLifecycleEvent"], ShapeInterfaces.Select(t => t.Name).Order());
        Assert.All(ShapeInterfaces, type =>
        {
            Assert.True(type.IsDefined(typeof(ExcludeFromTopologyAttribute), inherit: false), type.Name);
            Assert.True(type.IsDefined(typeof(ExcludeFromImplementedTypesAttribute), inherit: false), type.Name);
        });
        Assert.Equal(ShapeInterfaces.Select(MessageUrn.ForTypeString).Order(), ContractMessageTypes.ShapeUrns.Order());
    }

    /// <summary>What MassTransit would declare on RabbitMQ when publishing: computed from the topology, no broker needed.</summary>
    [Theory]
    [MemberData(nameof(Messages))]
    public void Publishing_a_message_declares_its_own_exchange_and_nothing_else(Type messageType)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host("localhost")); // never started: nothing connects
        var topology = (BrokerTopologyOf)typeof(ContractShapeTests).GetMethod(nameof(PublishTopologyOf), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(messageType).Invoke(null, [bus])!;

        Assert.Equal([$"Messaging.Contracts:{messageType.Name}"], topology.Exchanges);
        Assert.Empty(topology.ExchangeBindings);
    }

    private sealed record BrokerTopologyOf(string[] Exchanges, string[] ExchangeBindings);

    private static BrokerTopologyOf PublishTopologyOf<T>(IBus bus) where T : class
    {
        var topology = ((IRabbitMqMessagePublishTopology<T>)bus.Topology.Publish<T>()).GetBrokerTopology();
        return new BrokerTopologyOf(
            [.. topology.Exchanges.Select(e => e.ExchangeName)],
            [.. topology.ExchangeBindings.Select(b => $"{b.Source.ExchangeName} -> {b.Destination.ExchangeName}")]);
    }

    [Fact]
    public async Task A_host_that_publishes_contract_types_only_names_the_concrete_type_alone_in_messageType()
    {
        Assert.Equal(["urn:message:Messaging.Contracts:ServiceStopped"], await MessageTypesReceived(bus => bus.PublishContractTypesOnly()));
        // Without it, MassTransit would name the interfaces too: what the filter is for.
        Assert.Contains("urn:message:Messaging.Contracts:IServiceLifecycleEvent", await MessageTypesReceived(_ => { }));
    }

    /// <summary>The messageType a subscriber receives for a published <see cref="ServiceStopped"/>, on the in-memory transport.</summary>
    private static async Task<string[]> MessageTypesReceived(Action<IInMemoryBusFactoryConfigurator> configure)
    {
        var received = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = Bus.Factory.CreateUsingInMemory(cfg =>
        {
            configure(cfg);
            cfg.ReceiveEndpoint("contract-shape-test", endpoint => endpoint.Handler<ServiceStopped>(context =>
            {
                received.TrySetResult([.. context.SupportedMessageTypes]);
                return Task.CompletedTask;
            }));
        });
        await bus.StartAsync();
        try
        {
            await bus.Publish(new ServiceStopped { CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "s", RequestedBy = "alice" });
            return await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
