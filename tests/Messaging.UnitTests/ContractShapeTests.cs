using System.Reflection;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Messaging.Contracts;
using Messaging.ServiceDefaults.Bus;
using Messaging.State.Audit;

namespace Messaging.UnitTests;

/// <summary>
/// The shapes of Messaging.Contracts (the interfaces <see cref="IServiceCommand"/>, <see cref="IServiceEvent"/>... and the
/// base records <see cref="ServiceLifecycleCommand"/>, <see cref="ServiceLifecycleEvent"/>) serve our code and stay off
/// the wire: no exchange, no exchange binding, no URN in an envelope's messageType.
/// </summary>
public sealed class ContractShapeTests
{
    private static readonly Type[] Commands = [typeof(CreateService), typeof(StopService), typeof(StartService), typeof(RestartService), typeof(RemoveService)];

    private static readonly Type[] StackCommands = [typeof(CreateStack), typeof(RemoveStack)];

    private static readonly Type[] StackEvents = [typeof(StackCreated), typeof(StackCreationFailed), typeof(StackRemoved)];

    private static readonly Type[] BuildCommands = [typeof(BuildImage)];

    private static readonly Type[] BuildEvents = [typeof(ImageBuilt), typeof(ImageBuildFailed)];

    private static readonly Type[] Events =
    [
        typeof(ServiceCreated), typeof(ServiceCreationFailed), typeof(ServiceStopped), typeof(ServiceStarted),
        typeof(ServiceRestarted), typeof(ServiceRemoved), typeof(ServiceCommandRejected),
        typeof(ServiceExited), typeof(ServiceUnhealthy), typeof(ServiceHealthy), typeof(ServiceRecovered), typeof(ServiceRestartedBySupervisor), typeof(ServiceCrashLooping),
        typeof(ServiceCertificateFailed), typeof(ServiceMoved), typeof(ServiceDegraded),
    ];

    private static readonly Type[] Shapes =
        [.. typeof(IServiceCommand).Assembly.GetExportedTypes().Where(type => type.IsInterface || type is { IsAbstract: true, IsSealed: false })];

    public static TheoryData<Type> Messages() => [.. Commands, .. Events, .. StackCommands, .. StackEvents, .. BuildCommands, .. BuildEvents, typeof(ImageBuildLogged)];

    [Fact]
    public void Every_command_and_event_has_its_shape_and_the_audit_trail_knows_each_of_them()
    {
        Assert.All(Commands, type => Assert.True(typeof(IServiceCommand).IsAssignableFrom(type), type.Name));
        Assert.All(Events, type => Assert.True(typeof(IServiceEvent).IsAssignableFrom(type), type.Name));
        Assert.All(StackCommands, type => Assert.True(typeof(IStackCommand).IsAssignableFrom(type), type.Name));
        Assert.All(StackEvents, type => Assert.True(typeof(IStackEvent).IsAssignableFrom(type), type.Name));
        Assert.All(BuildCommands, type => Assert.True(typeof(IBuildCommand).IsAssignableFrom(type), type.Name));
        Assert.All(BuildEvents, type => Assert.True(typeof(IBuildEvent).IsAssignableFrom(type), type.Name));
        Assert.False(typeof(IBuildEvent).IsAssignableFrom(typeof(ImageBuildLogged))); // live lines stay out of the trail and webhooks
        Assert.Equal(AuditMessageTypes.Commands.Order(), Commands.Concat(StackCommands).Concat(BuildCommands).Select(t => t.Name).Order());
        Assert.Equal(AuditMessageTypes.Events.Order(), Events.Concat(StackEvents).Concat(BuildEvents).Select(t => t.Name).Order());
        Assert.Equal(Messaging.Audit.ServiceMessageTypes.Commands.Select(t => t.Name).Order(), AuditMessageTypes.Commands.Order());
        Assert.Equal(Messaging.Audit.ServiceMessageTypes.Events.Select(t => t.Name).Order(), AuditMessageTypes.Events.Order());
    }

    /// <summary>
    /// The audit host records, and webhooks and the live stream carry, every event it consumes; an event missing from
    /// <see cref="AuditMessageTypes.Events"/> would be recorded but refused as a webhook's event type and as an audit filter.
    /// </summary>
    [Fact]
    public void Every_event_of_the_contracts_is_one_webhooks_and_the_audit_filter_accept()
    {
        var published = typeof(IServiceEvent).Assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && (typeof(IServiceEvent).IsAssignableFrom(type) || typeof(IStackEvent).IsAssignableFrom(type) || typeof(IBuildEvent).IsAssignableFrom(type)))
            .Select(type => type.Name);
        Assert.Equal(published.Order(), AuditMessageTypes.Events.Order());
    }

    [Fact]
    public void Every_shape_is_excluded_from_the_broker_topology_and_from_the_implemented_types()
    {
        Assert.Equal(
            ["IBuildCommand", "IBuildEvent", "IServiceCommand", "IServiceEvent", "IServiceLifecycleEvent", "IStackCommand", "IStackEvent", "ServiceLifecycleCommand", "ServiceLifecycleEvent"],
            Shapes.Select(t => t.Name).Order());
        Assert.All(Shapes, type =>
        {
            Assert.True(type.IsDefined(typeof(ExcludeFromTopologyAttribute), inherit: false), type.Name);
            Assert.True(type.IsDefined(typeof(ExcludeFromImplementedTypesAttribute), inherit: false), type.Name);
        });
        Assert.Equal(Shapes.Select(MessageUrn.ForTypeString).Order(), ContractMessageTypes.ShapeUrns.Order());
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

    public static TheoryData<object, string[]> LifecycleMessages() => new()
    {
        { new StopService(), ["commandId", "serviceId", "requestedBy", "requestedAt"] },
        { new StartService(), ["commandId", "serviceId", "requestedBy", "requestedAt"] },
        { new RestartService(), ["commandId", "serviceId", "requestedBy", "requestedAt"] },
        { new RemoveService(), ["commandId", "serviceId", "requestedBy", "requestedAt"] },
        { new ServiceStopped(), ["commandId", "serviceId", "serviceName", "requestedBy", "at"] },
        { new ServiceStarted(), ["commandId", "serviceId", "serviceName", "requestedBy", "at"] },
        { new ServiceRestarted(), ["commandId", "serviceId", "serviceName", "requestedBy", "at"] },
        { new ServiceRemoved(), ["commandId", "serviceId", "serviceName", "hostPort", "requestedBy", "at"] },
    };

    /// <summary>The base records hold the fields now: the message body keeps the names and order docs/CONTRACTS.md shows.</summary>
    [Theory]
    [MemberData(nameof(LifecycleMessages))]
    public void A_lifecycle_message_body_has_the_documented_fields_in_the_documented_order(object message, string[] fields)
    {
        using var body = JsonDocument.Parse(JsonSerializer.Serialize(message, message.GetType(), SystemTextJsonMessageSerializer.Options));
        Assert.Equal(fields, body.RootElement.EnumerateObject().Select(property => property.Name));
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
