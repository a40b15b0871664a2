using StackExchange.Redis;

namespace Messaging.State.Stacks;

/// <summary>Stack records in Redis. The worker writes them; the API writes a pending one and reads.</summary>
public sealed class StackStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<StackRecord?> GetAsync(Guid stackId) =>
        StackRecord.FromHashEntries(await Db.HashGetAllAsync(keys.Stack(stackId)));

    /// <summary>Writes the record whole, and lists it under its owner and in all stacks.</summary>
    public async Task SaveAsync(StackRecord record)
    {
        var key = keys.Stack(record.StackId);
        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(key);
        _ = transaction.HashSetAsync(key, record.ToHashEntries());
        _ = transaction.SetAddAsync(keys.OwnerStacks(record.Owner), record.StackId.ToString("D"));
        _ = transaction.SetAddAsync(keys.AllStacks, record.StackId.ToString("D"));
        await transaction.ExecuteAsync();
    }

    /// <summary>Writes a new record unless one with that id exists (false then): the API's pending record.</summary>
    public async Task<bool> TryCreateAsync(StackRecord record)
    {
        var key = keys.Stack(record.StackId);
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(key));
        _ = transaction.HashSetAsync(key, record.ToHashEntries());
        _ = transaction.SetAddAsync(keys.OwnerStacks(record.Owner), record.StackId.ToString("D"));
        _ = transaction.SetAddAsync(keys.AllStacks, record.StackId.ToString("D"));
        return await transaction.ExecuteAsync();
    }

    /// <summary>The ids of an owner's stacks, or of every stack (owner null).</summary>
    public async Task<IReadOnlyList<Guid>> IdsAsync(string? owner) =>
        [.. (await Db.SetMembersAsync(owner is null ? keys.AllStacks : keys.OwnerStacks(owner)))
            .Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty)];
}
