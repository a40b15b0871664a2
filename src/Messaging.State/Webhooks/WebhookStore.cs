using Messaging.Validation.Webhooks;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.State.Webhooks;

/// <summary>Webhook subscriptions and their delivery outcomes in Redis. Managed through the API; read by the audit host.</summary>
public sealed class WebhookStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<WebhookOptions> options)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>A new subscription id.</summary>
    public static string NewId() => "whk-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    /// <summary>A new signing secret: 256 random bits.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    public async Task SaveAsync(WebhookSubscription subscription)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(keys.Webhook(subscription.Id), subscription.ToHashEntries());
        _ = transaction.SortedSetAddAsync(keys.Webhooks, subscription.Id, subscription.CreatedAt.ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
    }

    public async Task<WebhookSubscription?> GetAsync(string id) =>
        WebhookSubscription.FromHashEntries(await Db.HashGetAllAsync(keys.Webhook(id)));

    /// <summary>Every subscription, oldest first.</summary>
    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync()
    {
        var ids = await Db.SortedSetRangeByRankAsync(keys.Webhooks);
        var subscriptions = await Task.WhenAll(ids.Select(id => GetAsync(id.ToString())));
        return [.. subscriptions.OfType<WebhookSubscription>()];
    }

    /// <summary>Deletes a subscription and its delivery record; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string id)
    {
        var transaction = Db.CreateTransaction();
        var removed = transaction.SortedSetRemoveAsync(keys.Webhooks, id);
        _ = transaction.KeyDeleteAsync([keys.Webhook(id), keys.WebhookDeliveries(id)]);
        await transaction.ExecuteAsync();
        return await removed;
    }

    /// <summary>Records how a delivery ended (capped at <see cref="WebhookOptions.DeliveriesKept"/>, oldest dropped).</summary>
    public Task RecordDeliveryAsync(string subscriptionId, WebhookDelivery delivery) =>
        Db.StreamAddAsync(keys.WebhookDeliveries(subscriptionId), delivery.ToStreamFields(),
            maxLength: options.Value.DeliveriesKept, useApproximateMaxLength: true);

    /// <summary>The latest delivery outcomes of a subscription, newest first.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(string subscriptionId, int count)
    {
        var entries = await Db.StreamRangeAsync(keys.WebhookDeliveries(subscriptionId), "-", "+", count, Order.Descending);
        return [.. entries.Select(WebhookDelivery.FromStreamEntry)];
    }
}
