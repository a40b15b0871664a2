using System.Text.Json;

namespace Messaging.IntegrationTests;

/// <summary>The wire contract from the outside: no MassTransit on this side, only RabbitMQ.Client and JSON.</summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class RawAmqpPublishSubscribeTests(SystemFixture system)
{
    [Fact]
    public async Task A_CreateService_published_as_raw_json_yields_a_ServiceCreated_on_our_own_queue()
    {
        await using var connection = await RawAmqp.ConnectAsync();
        await using var channel = await RawAmqp.ConfirmingChannelAsync(connection);
        // Our own queue: exclusive, gone when we disconnect, bound before publishing so nothing is missed.
        var queue = await channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, RawAmqp.Exchange("ServiceCreated"), routingKey: "");

        var serviceId = Guid.NewGuid();
        var name = $"raw-{Guid.NewGuid():N}"[..20];
        await RawAmqp.PublishAsync(channel, "CreateService", RawAmqp.CreateService(serviceId, name, requestedBy: "raw-amqp-system"));

        var envelope = await RawAmqp.WaitForAsync(channel, queue.QueueName,
            e => e.GetProperty("message").GetProperty("serviceId").GetGuid() == serviceId, TimeSpan.FromSeconds(30));

        Assert.Equal("urn:message:Messaging.Contracts:ServiceCreated", envelope.GetProperty("messageType")[0].GetString());
        var created = envelope.GetProperty("message");
        Assert.Equal(name, created.GetProperty("serviceName").GetString());
        Assert.Equal("raw-amqp-system", created.GetProperty("owner").GetString());
        Assert.InRange(created.GetProperty("hostPort").GetInt32(), SystemFixture.PortMin, SystemFixture.PortMax);
        Assert.Equal(JsonValueKind.String, envelope.GetProperty("messageId").ValueKind);
        Assert.Single(await system.OurContainers(name));
    }
}
