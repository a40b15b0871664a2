using System.Text.Json;
using MassTransit;
using Messaging.Contracts;
using StackExchange.Redis;

namespace Messaging.State.Outcomes;

/// <summary>
/// The terminal event each lifecycle command ended with, kept for a while so a redelivered or duplicated
/// command publishes the same event again instead of acting twice. Kept per service and command id: the id is
/// chosen by whoever publishes, so the same id sent for another service must not replay this service's event.
/// </summary>
public sealed class CommandOutcomes(IConnectionMultiplexer redis, RedisKeys keys)
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    /// <summary>The events a lifecycle command can end with, by the type name stored beside each.</summary>
    private static readonly Dictionary<string, Type> EventTypes = new[]
    {
        typeof(ServiceStopped), typeof(ServiceStarted), typeof(ServiceRestarted), typeof(ServiceRemoved), typeof(ServiceCommandRejected),
    }.ToDictionary(t => t.Name);

    /// <summary>Keeps the event <paramref name="outcome"/> as what command <paramref name="commandId"/> ended with on <paramref name="serviceId"/>.</summary>
    public async Task SaveAsync(Guid serviceId, Guid commandId, IServiceEvent outcome)
    {
        if (!EventTypes.ContainsKey(outcome.GetType().Name))
            throw new ArgumentException($"{outcome.GetType().Name} is not a lifecycle command's outcome.", nameof(outcome));
        var json = JsonSerializer.Serialize(new StoredOutcome(outcome.GetType().Name, JsonSerializer.SerializeToElement(outcome, outcome.GetType())));
        await redis.GetDatabase().StringSetAsync(keys.CommandOutcome(serviceId, commandId), json, Retention);
    }

    /// <summary>Publishes the stored outcome again; false when the command was not handled on this service before.</summary>
    public async Task<bool> TryReplayAsync(Guid serviceId, Guid commandId, IPublishEndpoint publisher)
    {
        var json = await redis.GetDatabase().StringGetAsync(keys.CommandOutcome(serviceId, commandId));
        if (json.IsNullOrEmpty)
            return false;
        var stored = JsonSerializer.Deserialize<StoredOutcome>(json.ToString())!;
        var outcome = (IServiceEvent)stored.Event.Deserialize(EventTypes[stored.Type])!;
        await publisher.Publish(outcome, outcome.GetType());
        return true;
    }

    private sealed record StoredOutcome(string Type, JsonElement Event);
}
