using MassTransit;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Services;

/// <summary>
/// Publishes a command and waits for RabbitMQ's confirm, up to <see cref="PublishOptions.ConfirmTimeout"/>.
/// False means the broker does not have it: the caller answers 503 and undoes what it prepared.
/// </summary>
public sealed class CommandPublisher(IPublishEndpoint publisher, IOptions<PublishOptions> options, ILogger<CommandPublisher> logger)
{
    public async Task<bool> TryPublishAsync<T>(T command) where T : class
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.ConfirmTimeout);
            await publisher.Publish(command, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError("Publishing {Command} failed: {Message}", typeof(T).Name, e.Message);
            return false;
        }
    }
}
