using Messaging.Contracts;
using StackExchange.Redis;

namespace Messaging.State;

/// <summary>How a worker's claim on a creation ended.</summary>
/// <summary>Why the API's pending record was not written.</summary>
public enum PendingRefusal { NameTaken, IdExists }

public enum CreationClaim
{
    /// <summary>The record is ours to create (new, pending, or an interrupted attempt of the same command).</summary>
    Claimed,
    /// <summary>The same command already reached a terminal state: replay its event.</summary>
    AlreadyFinished,
    /// <summary>The service id belongs to another command: refuse without touching the record.</summary>
    ForeignRecord,
}

/// <summary>Service records in Redis. The worker writes them; the API creates pending ones and reads.</summary>
public sealed class ServiceRecordStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    public RedisKeys Keys => keys;

    public async Task<ServiceRecord?> GetAsync(Guid serviceId) =>
        ServiceRecord.FromHashEntries(await Db.HashGetAllAsync(keys.Service(serviceId)));

    /// <summary>The id of the live service holding a name, if any.</summary>
    public async Task<Guid?> FindIdByNameAsync(string name)
    {
        var value = await Db.HashGetAsync(keys.Names, name);
        return value.HasValue && Guid.TryParse(value.ToString(), out var id) ? id : null;
    }

    /// <summary>
    /// Writes a new pending record unless its name is held by a service or its id exists (null: written;
    /// otherwise why not). One script, because the API does this for every create: the name check and the
    /// write cost one round trip. The name stays only a hint here; the worker reserves it atomically.
    /// </summary>
    public async Task<PendingRefusal?> TryCreatePendingAsync(ServiceRecord record)
    {
        var result = (string?)await Db.ScriptEvaluateAsync(Scripts.CreatePendingIfFree,
            [keys.Service(record.ServiceId), keys.OwnerServices(record.Owner), keys.AllServices, keys.Names],
            [record.ServiceId.ToString("D"), record.CreatedAt.ToUnixTimeMilliseconds(), record.Name, .. Flatten(record)]);
        return result switch
        {
            "created" => null,
            "name_taken" => PendingRefusal.NameTaken,
            _ => PendingRefusal.IdExists,
        };
    }

    /// <summary>Removes a pending record that never reached the broker (the publish failed).</summary>
    public async Task DeletePendingAsync(Guid serviceId, Guid commandId, string owner)
    {
        await Db.ScriptEvaluateAsync(Scripts.DeleteIfPending,
            [keys.Service(serviceId), keys.OwnerServices(owner), keys.AllServices],
            [commandId.ToString("D"), serviceId.ToString("D")]);
    }

    /// <summary>
    /// Marks the record <c>creating</c> for this command, or says why not. Atomic, so two workers holding
    /// the same command agree on what the record is.
    /// </summary>
    public async Task<(CreationClaim Claim, ServiceRecord? Existing)> ClaimCreationAsync(ServiceRecord creating)
    {
        var result = (string?)await Db.ScriptEvaluateAsync(Scripts.ClaimCreation,
            [keys.Service(creating.ServiceId), keys.OwnerServices(creating.Owner), keys.AllServices],
            [creating.CommandId.ToString("D"), creating.ServiceId.ToString("D"),
             creating.CreatedAt.ToUnixTimeMilliseconds(), .. Flatten(creating)]);
        return result switch
        {
            "claimed" => (CreationClaim.Claimed, null),
            "finished" => (CreationClaim.AlreadyFinished, await GetAsync(creating.ServiceId)),
            _ => (CreationClaim.ForeignRecord, await GetAsync(creating.ServiceId)),
        };
    }

    /// <summary>Replaces the whole record (fields absent from <paramref name="record"/> are cleared).</summary>
    public async Task SaveAsync(ServiceRecord record)
    {
        var key = keys.Service(record.ServiceId);
        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(key);
        _ = transaction.HashSetAsync(key, record.ToHashEntries());
        _ = transaction.SortedSetAddAsync(keys.OwnerServices(record.Owner), record.ServiceId.ToString("D"),
            record.CreatedAt.ToUnixTimeMilliseconds());
        _ = transaction.SortedSetAddAsync(keys.AllServices, record.ServiceId.ToString("D"),
            record.CreatedAt.ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
    }

    /// <summary>
    /// Moves a record to <paramref name="to"/> if its current status may lead there (see
    /// <see cref="ServiceTransitions"/>) and is one of <paramref name="from"/>; sets the extra fields in the
    /// same atomic step. Returns whether it moved and the status it had.
    /// </summary>
    public async Task<(bool Moved, string? Previous)> TransitionAsync(Guid serviceId, IEnumerable<string> from, string to,
        DateTimeOffset at, params (string Field, RedisValue Value)[] fields)
    {
        var allowed = from.Where(status => ServiceTransitions.IsAllowed(status, to)).ToArray();
        RedisValue[] args = [to, at.ToUnixTimeMilliseconds(), allowed.Length, .. allowed.Select(a => (RedisValue)a),
            .. fields.SelectMany(f => new[] { (RedisValue)f.Field, f.Value })];
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(Scripts.Transition, [keys.Service(serviceId)], args))!;
        var previous = (string?)result[1];
        return ((string?)result[0] == "moved", string.IsNullOrEmpty(previous) ? null : previous);
    }

    /// <summary>
    /// A page of services, oldest first: an owner's, or everyone's when <paramref name="owner"/> is null.
    /// <paramref name="position"/> is where the previous page stopped in the creation-time index; new
    /// services only ever append to it, so positions stay valid.
    /// </summary>
    public async Task<(IReadOnlyList<ServiceRecord> Records, long? Next)> ListAsync(string? owner, string? status, long position, int limit)
    {
        var index = owner is null ? keys.AllServices : keys.OwnerServices(owner);
        var page = new List<ServiceRecord>(limit);
        while (page.Count < limit)
        {
            // Only as many as the page still lacks: filtered-out records just cost another round.
            var ids = await Db.SortedSetRangeByRankAsync(index, position, position + (limit - page.Count) - 1);
            if (ids.Length == 0)
                return (page, null);
            var records = await Task.WhenAll(ids.Select(id => GetAsync(Guid.Parse(id.ToString()))));
            for (var i = 0; i < records.Length; i++)
            {
                position++;
                var record = records[i];
                if (record is null || (status is null ? record.Status == ServiceStatus.Removed : record.Status != status))
                    continue;
                page.Add(record);
                if (page.Count == limit)
                    break;
            }
        }
        var more = await Db.SortedSetLengthAsync(index) > position;
        return (page, more ? position : null);
    }

    private static RedisValue[] Flatten(ServiceRecord record) =>
        [.. record.ToHashEntries().SelectMany(e => new[] { (RedisValue)e.Name.ToString(), e.Value })];

    private static class Scripts
    {
        // KEYS: record. ARGV: to, now ms, n, from_1..from_n, field, value, ...
        public const string Transition = """
            local current = redis.call('HGET', KEYS[1], 'status')
            if not current then return {'missing', ''} end
            local n = tonumber(ARGV[3])
            for i = 4, 3 + n do
              if ARGV[i] == current then
                redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[2])
                for j = 4 + n, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[j], ARGV[j + 1]) end
                return {'moved', current}
              end
            end
            return {'refused', current}
            """;

        // KEYS: record, owner index, all index, names. ARGV: service id, created at ms, name, field/value pairs.
        public const string CreatePendingIfFree = """
            if redis.call('HEXISTS', KEYS[4], ARGV[3]) == 1 then return 'name_taken' end
            if redis.call('EXISTS', KEYS[1]) == 1 then return 'id_exists' end
            for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
            redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
            return 'created'
            """;

        // KEYS: record, owner index, all index. ARGV: command id, service id.
        public const string DeleteIfPending = """
            if redis.call('HGET', KEYS[1], 'status') == 'pending' and redis.call('HGET', KEYS[1], 'command_id') == ARGV[1] then
              redis.call('DEL', KEYS[1])
              redis.call('ZREM', KEYS[2], ARGV[2])
              redis.call('ZREM', KEYS[3], ARGV[2])
            end
            return 0
            """;

        // KEYS: record, owner index, all index. ARGV: command id, service id, created_at, field, value, ...
        public const string ClaimCreation = """
            local existing = redis.call('HMGET', KEYS[1], 'command_id', 'status', 'created_at')
            -- A record rebuilt by the reconciler from an old container may lack the command id: not foreign.
            if existing[1] and existing[1] ~= ARGV[1] and existing[1] ~= '00000000-0000-0000-0000-000000000000' then return 'foreign' end
            if existing[2] and existing[2] ~= 'pending' and existing[2] ~= 'creating' then return 'finished' end
            for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            if existing[3] then redis.call('HSET', KEYS[1], 'created_at', existing[3]) end
            redis.call('HSET', KEYS[1], 'status', 'creating')
            redis.call('ZADD', KEYS[2], existing[3] or ARGV[3], ARGV[2])
            redis.call('ZADD', KEYS[3], existing[3] or ARGV[3], ARGV[2])
            return 'claimed'
            """;
    }
}
