using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Testing;
using RabbitMQ.Client;

namespace Messaging.IntegrationTests;

/// <summary>
/// AMQP as another system would speak it, with RabbitMQ.Client only: MassTransit envelopes built by hand
/// (see docs/CONTRACTS.md), published to the message type's exchange, and events read from a queue of our own.
/// </summary>
public static class RawAmqp
{
    public const string ContentType = "application/vnd.masstransit+json";

    public static string Exchange(string messageType) => $"Messaging.Contracts:{messageType}";

    /// <summary>A connection to the tests' broker, as its default user or as <paramref name="user"/>.</summary>
    public static Task<IConnection> ConnectAsync(string? user = null, string? password = null) =>
        new ConnectionFactory
        {
            HostName = TestEnvironment.RabbitMq.Host, Port = TestEnvironment.RabbitMq.Port,
            UserName = user ?? TestEnvironment.RabbitMq.Username, Password = password ?? TestEnvironment.RabbitMq.Password,
            ClientProvidedName = "raw-amqp-test",
        }.CreateConnectionAsync();

    /// <summary>A channel whose publishes complete only when the broker confirmed them.</summary>
    public static Task<IChannel> ConfirmingChannelAsync(IConnection connection) =>
        connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

    /// <summary>The envelope MassTransit would have written: the fields a consumer needs, camelCase.</summary>
    public static byte[] Envelope(string messageType, object message) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["conversationId"] = Guid.NewGuid().ToString(),
            ["destinationAddress"] = $"rabbitmq://{TestEnvironment.RabbitMq.Host}/{Exchange(messageType)}",
            ["messageType"] = new JsonArray($"urn:message:Messaging.Contracts:{messageType}"),
            ["message"] = JsonSerializer.SerializeToNode(message, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            ["sentTime"] = DateTimeOffset.UtcNow.ToString("O"),
            ["headers"] = new JsonObject(),
        }.ToJsonString());

    /// <summary>Publishes as the test broker user (also the API's user in these tests), with its user_id.</summary>
    public static Task PublishAsync(IChannel channel, string messageType, object message) =>
        PublishAsync(channel, messageType, message, TestEnvironment.RabbitMq.Username);

    /// <summary>
    /// Publishes an envelope to the type's exchange. <paramref name="userId"/> is the AMQP user_id the worker takes
    /// the publisher's identity from: RabbitMQ refuses it unless it is the connection's user; null sends none.
    /// </summary>
    public static async Task PublishAsync(IChannel channel, string messageType, object message, string? userId)
    {
        var properties = new BasicProperties { ContentType = ContentType, DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString(), UserId = userId };
        await channel.BasicPublishAsync(Exchange(messageType), routingKey: "", mandatory: false, basicProperties: properties,
            body: Envelope(messageType, message));
    }

    /// <summary>A CreateService that names another system as the requester.</summary>
    public static object CreateService(Guid serviceId, string name, string requestedBy, string image = "nginx:alpine") => new
    {
        commandId = Guid.NewGuid(), serviceId, serviceName = name, image, memoryLimit = "64m", cpuLimit = 0.25,
        requestedBy, requestedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Reads envelopes from <paramref name="queue"/> until one matches, or fails after the timeout.</summary>
    public static async Task<JsonElement> WaitForAsync(IChannel channel, string queue, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var delivery = await channel.BasicGetAsync(queue, autoAck: true);
            if (delivery is null)
            {
                await Task.Delay(50);
                continue;
            }
            Assert.Equal(ContentType, delivery.BasicProperties.ContentType);
            var envelope = JsonDocument.Parse(delivery.Body).RootElement.Clone();
            if (match(envelope))
                return envelope;
        }
        throw new TimeoutException($"No matching message on {queue} within {timeout}.");
    }
}
