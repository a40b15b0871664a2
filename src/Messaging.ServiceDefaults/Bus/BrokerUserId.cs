using MassTransit;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// Every message a host sends carries the AMQP <c>user_id</c> of the broker user it connects as. RabbitMQ
/// refuses a publish whose <c>user_id</c> is not the connection's user, so a consumer can trust it: the
/// worker takes a command's owner from it (Messaging.Worker/Identity), and events can be told from forgeries.
/// </summary>
public static class BrokerUserId
{
    public static void StampBrokerUserId(this IRabbitMqBusFactoryConfigurator bus, string user)
    {
        // Publishes go through the publish pipe only, sends and responses through the send pipe: stamp both.
        bus.ConfigurePublish(publish => publish.UseExecute(message => Stamp(message, user)));
        bus.ConfigureSend(send => send.UseSendExecute(message => Stamp(message, user)));
    }

    private static void Stamp(SendContext message, string user)
    {
        if (message.TryGetPayload(out RabbitMqSendContext? rabbit))
            rabbit.BasicProperties.UserId = user;
    }
}
