using MassTransit;

namespace Messaging.Worker.Identity;

/// <summary>The broker user that published a message, as the transport authenticated it; null when unknown.</summary>
public interface IBrokerUserSource
{
    string? UserOf(ConsumeContext context);
}

/// <summary>
/// RabbitMQ checks a message's <c>user_id</c> property against the user of the connection that published
/// it and refuses the publish when they differ, so <c>user_id</c> is the one field of a delivery its sender
/// cannot make up. A delivery without it carries no identity at all.
/// </summary>
public sealed class RabbitMqBrokerUser : IBrokerUserSource
{
    public string? UserOf(ConsumeContext context) =>
        context.ReceiveContext.TryGetPayload(out RabbitMqBasicConsumeContext? delivery) && delivery.Properties.IsUserIdPresent()
            ? delivery.Properties.UserId
            : null;
}
