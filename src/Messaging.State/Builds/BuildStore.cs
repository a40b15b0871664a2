using StackExchange.Redis;

namespace Messaging.State.Builds;

/// <summary>Build records in Redis. The API writes a pending one and reads; the worker writes the rest.</summary>
public sealed class BuildStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<BuildRecord?> GetAsync(Guid buildId) =>
        BuildRecord.FromHashEntries(await Db.HashGetAllAsync(keys.Build(buildId)));

    /// <summary>Writes the record whole, and lists it under its owner and in all builds.</summary>
    public async Task SaveAsync(BuildRecord record)
    {
        var key = keys.Build(record.BuildId);
        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(key);
        _ = transaction.HashSetAsync(key, record.ToHashEntries());
        _ = transaction.SortedSetAddAsync(keys.OwnerBuilds(record.Owner), record.BuildId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds());
        _ = transaction.SortedSetAddAsync(keys.AllBuilds, record.BuildId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
    }

    /// <summary>Writes a new record unless one with that id exists (false then): the API's pending record.</summary>
    public async Task<bool> TryCreateAsync(BuildRecord record)
    {
        var key = keys.Build(record.BuildId);
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(key));
        _ = transaction.HashSetAsync(key, record.ToHashEntries());
        _ = transaction.SortedSetAddAsync(keys.OwnerBuilds(record.Owner), record.BuildId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds());
        _ = transaction.SortedSetAddAsync(keys.AllBuilds, record.BuildId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds());
        return await transaction.ExecuteAsync();
    }

    /// <summary>
    /// A worker takes the build: writes <paramref name="record"/> whole, unless the record was meanwhile failed as never
    /// delivered (false then: the caller replays that failure and builds nothing).
    /// </summary>
    /// <remarks>
    /// The condition watches the key, so any write by another client between the watch and the transaction aborts it,
    /// though the condition held: above all the API clearing <c>unconfirmed</c> (<see cref="ConfirmPendingAsync"/>) as
    /// the broker's confirm comes back, which races the worker taking the very command just confirmed. Taken for "failed
    /// as never delivered", that abort dropped the build and left its record pending for good. Only a condition that
    /// failed says no; an aborted transaction is tried again.
    /// </remarks>
    public async Task<bool> TryClaimAsync(BuildRecord record)
    {
        var key = keys.Build(record.BuildId);
        for (var attempt = 1; ; attempt++)
        {
            var transaction = Db.CreateTransaction();
            var notExpired = transaction.AddCondition(Condition.HashNotEqual(key, "failure_code", Contracts.BuildFailureReasons.NotDelivered));
            _ = transaction.KeyDeleteAsync(key);
            _ = transaction.HashSetAsync(key, record.ToHashEntries());
            _ = transaction.SortedSetAddAsync(keys.OwnerBuilds(record.Owner), record.BuildId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds());
            _ = transaction.SortedSetAddAsync(keys.AllBuilds, record.BuildId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds());
            if (await transaction.ExecuteAsync())
                return true;
            if (!notExpired.WasSatisfied)
                return false;
            if (attempt == 10)
                throw new RedisException($"Build {record.BuildId}: the claim kept meeting concurrent writes of its record.");
        }
    }

    /// <summary>The broker confirmed the command of a pending record: it is no longer a candidate for expiry.</summary>
    public Task ConfirmPendingAsync(Guid buildId) => Db.HashDeleteAsync(keys.Build(buildId), "unconfirmed");

    /// <summary>
    /// Fails a record still pending and unconfirmed with <paramref name="code"/>; false when it was not (a worker took it
    /// first, or it was confirmed). Atomic (the services' script: same field names), so a later claim finds it failed.
    /// </summary>
    public async Task<bool> ExpireUnconfirmedAsync(Guid buildId, string code, string message, DateTimeOffset at)
    {
        var expired = (int)await Db.ScriptEvaluateAsync(Scripts.StateScripts.ExpireUnconfirmed, new
        {
            record = keys.Build(buildId), pending = Contracts.BuildStatus.Pending, failed = Contracts.BuildStatus.Failed,
            code, message, now = at.ToUnixTimeMilliseconds(),
        }) == 1;
        if (expired)
            await Db.HashSetAsync(keys.Build(buildId), "finished_at", at.ToUnixTimeMilliseconds());
        return expired;
    }

    /// <summary>Ids of builds created between <paramref name="from"/> and <paramref name="to"/> (the sweep's window), oldest first.</summary>
    public async Task<IReadOnlyList<Guid>> CreatedBetweenAsync(DateTimeOffset from, DateTimeOffset to, int limit) =>
        [.. (await Db.SortedSetRangeByScoreAsync(keys.AllBuilds, from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds(), take: limit))
            .Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty)];

    /// <summary>Sets the queue position of a waiting build, unless it has moved on meanwhile.</summary>
    public async Task SetQueuePositionAsync(Guid buildId, int position) =>
        await Db.ScriptEvaluateAsync(Scripts.StateScripts.SetQueuePosition,
            new { record = keys.Build(buildId), queued = Contracts.BuildStatus.Queued, position });

    /// <summary>The newest build ids of an owner, or of everyone (owner null), newest first.</summary>
    public async Task<IReadOnlyList<Guid>> IdsAsync(string? owner, int limit) =>
        [.. (await Db.SortedSetRangeByRankAsync(owner is null ? keys.AllBuilds : keys.OwnerBuilds(owner), 0, limit - 1, Order.Descending))
            .Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty)];
}
