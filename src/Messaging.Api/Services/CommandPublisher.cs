using MassTransit;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Services;

/// <summary>What became of a publish, as far as the API can know.</summary>
public enum PublishOutcome
{
    /// <summary>RabbitMQ confirmed it: the broker has the command.</summary>
    Confirmed,
    /// <summary>It failed before the message was handed to a broker channel: the broker does not have it.</summary>
    NotSent,
    /// <summary>
    /// Handed to the broker, but no confirm came in time: the broker may or may not have it, so a worker
    /// may still act on it. Nothing prepared for it may be undone as if it never happened.
    /// </summary>
    Unconfirmed,
}

/// <summary>Publishes a command and waits for RabbitMQ's confirm, up to <see cref="PublishOptions.ConfirmTimeout"/>.</summary>
public sealed class CommandPublisher(IPublishEndpoint publisher, IOptions<PublishOptions> options, ILogger<CommandPublisher> logger)
{
    public async Task<PublishOutcome> PublishAsync<T>(T command) where T : class
    {
        // MassTransit runs the publish pipe on a channel it already holds, just before handing the message to
        // the broker. Once it ran, a failure (a confirm timeout above all) no longer proves the broker lacks it.
        var handedOver = false;
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.ConfirmTimeout);
            await publisher.Publish(command, Pipe.Execute<PublishContext<T>>(_ => handedOver = true), timeout.Token);
            return PublishOutcome.Confirmed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError("Publishing {Command} failed {Stage}: {Message}", typeof(T).Name,
                handedOver ? "after it was handed to the broker" : "before it reached the broker", e.Message);
            return handedOver ? PublishOutcome.Unconfirmed : PublishOutcome.NotSent;
        }
    }

    /// <summary>
    /// Publishes the command of a pending record the caller has just written (a stack, a build) and settles the record
    /// by the outcome: confirmed, <paramref name="confirmed"/> runs (clears an unconfirmed mark) and the answer is null
    /// (go on to 202); not sent, <paramref name="notDelivered"/> fails the record (<c>not_delivered</c>) and the answer
    /// is 503 "nothing was created"; unconfirmed, the record stays pending (a worker takes it, or its expiry fails it)
    /// and the answer is 503.
    /// </summary>
    public async Task<ProblemHttpResult?> PublishPendingAsync<T>(T command, Func<Task> notDelivered, Func<Task>? confirmed = null) where T : class
    {
        switch (await PublishAsync(command))
        {
            case PublishOutcome.NotSent:
                await notDelivered();
                return Problems.BrokerUnavailable(undone: true);
            case PublishOutcome.Unconfirmed:
                return Problems.BrokerUnavailable(undone: false);
            default:
                if (confirmed is not null)
                    await confirmed();
                return null;
        }
    }
}
