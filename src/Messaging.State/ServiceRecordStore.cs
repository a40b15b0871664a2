using System.Text.Json;
using Messaging.Contracts;
using Messaging.State.Scripts;
using StackExchange.Redis;

namespace Messaging.State;

/// <summary>Why the API's pending record was not written.</summary>
public enum PendingRefusal { NameTaken, IdExists }

/// <summary>How a worker's claim on a creation ended.</summary>
public enum ClaimOutcome
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
        var result = (string?)await Db.ScriptEvaluateAsync(StateScripts.CreatePending, new
        {
            record = keys.Service(record.ServiceId), ownerIndex = keys.OwnerServices(record.Owner), allIndex = keys.AllServices,
            names = keys.Names, name = record.Name, serviceId = record.ServiceId.ToString("D"),
            createdAt = record.CreatedAt.ToUnixTimeMilliseconds(), fields = FieldsJson(record),
        });
        return result switch
        {
            "created" => null,
            "name_taken" => PendingRefusal.NameTaken,
            "id_exists" => PendingRefusal.IdExists,
            _ => throw new InvalidOperationException($"Unexpected result {result} writing a pending record."),
        };
    }

    /// <summary>The broker confirmed the command of a pending record: it is no longer a candidate for expiry.</summary>
    public Task ConfirmPendingAsync(Guid serviceId) => Db.HashDeleteAsync(keys.Service(serviceId), ServiceRecordFields.Unconfirmed);

    /// <summary>
    /// Fails a record still pending and unconfirmed with <paramref name="code"/>; false when it was not (a worker
    /// claimed it first, or it was confirmed). Atomic, so a late claim finds it failed and replays the failure.
    /// </summary>
    public async Task<bool> ExpireUnconfirmedAsync(Guid serviceId, string code, string message, DateTimeOffset at) =>
        (int)await Db.ScriptEvaluateAsync(StateScripts.ExpireUnconfirmed, new
        {
            record = keys.Service(serviceId), pending = ServiceStatus.Pending, failed = ServiceStatus.Failed,
            code, message, now = at.ToUnixTimeMilliseconds(),
        }) == 1;

    /// <summary>Removes a pending record that never reached the broker (the publish failed).</summary>
    public async Task DeletePendingAsync(Guid serviceId, Guid commandId, string owner)
    {
        await Db.ScriptEvaluateAsync(StateScripts.DeletePending, new
        {
            record = keys.Service(serviceId), ownerIndex = keys.OwnerServices(owner), allIndex = keys.AllServices,
            serviceId = serviceId.ToString("D"), commandId = commandId.ToString("D"), pending = ServiceStatus.Pending,
        });
    }

    /// <summary>
    /// Marks the record <c>creating</c> for this command, or says why not. Atomic, so two workers holding
    /// the same command agree on what the record is.
    /// </summary>
    public async Task<(ClaimOutcome Claim, ServiceRecord? Existing)> ClaimCreationAsync(ServiceRecord creating)
    {
        var result = (string?)await Db.ScriptEvaluateAsync(StateScripts.ClaimCreation, new
        {
            record = keys.Service(creating.ServiceId), ownerIndex = keys.OwnerServices(creating.Owner), allIndex = keys.AllServices,
            serviceId = creating.ServiceId.ToString("D"), commandId = creating.CommandId.ToString("D"), owner = creating.Owner, noCommand = Guid.Empty.ToString("D"),
            pending = ServiceStatus.Pending, creating = ServiceStatus.Creating,
            createdAt = creating.CreatedAt.ToUnixTimeMilliseconds(), fields = FieldsJson(creating),
        });
        return result switch
        {
            "claimed" => (ClaimOutcome.Claimed, null),
            "finished" => (ClaimOutcome.AlreadyFinished, await GetAsync(creating.ServiceId)),
            "foreign" => (ClaimOutcome.ForeignRecord, await GetAsync(creating.ServiceId)),
            _ => throw new InvalidOperationException($"Unexpected result {result} claiming a creation."),
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
    /// <see cref="ServiceTransitions"/>) and is one of <paramref name="from"/>, in one atomic step.
    /// </summary>
    public Task<TransitionResult> TransitionAsync(Guid serviceId, IEnumerable<string> from, string to, DateTimeOffset at) =>
        TransitionAsync(serviceId, from, to, at, clearPlacement: false, fields: []);

    /// <summary>
    /// Moves a record from <paramref name="from"/> to <c>removing</c> and notes, in the same step, the command that
    /// asked and who sent it: whoever finishes the removal (a redelivery of it, or the reconciler once it is stale)
    /// answers that command.
    /// </summary>
    public Task<TransitionResult> BeginRemovalAsync(Guid serviceId, string from, Guid commandId, string requestedBy, DateTimeOffset at) =>
        TransitionAsync(serviceId, [from], ServiceStatus.Removing, at, clearPlacement: false,
            fields: [ServiceRecordFields.RemovalCommandId, commandId.ToString("D"), ServiceRecordFields.RemovalRequestedBy, requestedBy]);

    /// <summary>A removal the engine confirmed: <c>removing</c> becomes <c>removed</c>, and the port, host and container id are cleared.</summary>
    public Task<TransitionResult> MarkRemovedAsync(Guid serviceId, DateTimeOffset at) =>
        TransitionAsync(serviceId, [ServiceStatus.Removing], ServiceStatus.Removed, at, clearPlacement: true, fields: []);

    private async Task<TransitionResult> TransitionAsync(Guid serviceId, IEnumerable<string> from, string to, DateTimeOffset at, bool clearPlacement, string[] fields)
    {
        var allowed = from.Where(status => ServiceTransitions.IsAllowed(status, to)).ToArray();
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(StateScripts.Transition, new
        {
            record = keys.Service(serviceId), from = JsonSerializer.Serialize(allowed), to,
            now = at.ToUnixTimeMilliseconds(), clearPlacement = clearPlacement ? 1 : 0, fields = JsonSerializer.Serialize(fields),
        }))!;
        var previous = (string?)result[1];
        return new TransitionResult((string?)result[0] == "moved", string.IsNullOrEmpty(previous) ? null : previous);
    }

    /// <summary>
    /// Deletes a <c>failed</c> or <c>removed</c> record that has not changed since <paramref name="endedBy"/>, and
    /// its ids in the owner's and the global index, in one step (true: deleted). Name, port and quota were given back
    /// when the record ended, so nothing else refers to it; the audit trail keeps its history. Checked again inside the
    /// script: a record a DELETE moved on to <c>removing</c> since it was read stays.
    /// </summary>
    public async Task<bool> DeleteExpiredAsync(ServiceRecord record, DateTimeOffset endedBy) =>
        (int)await Db.ScriptEvaluateAsync(StateScripts.DeleteExpired, new
        {
            record = keys.Service(record.ServiceId), ownerIndex = keys.OwnerServices(record.Owner), allIndex = keys.AllServices,
            serviceId = record.ServiceId.ToString("D"), owner = record.Owner, cutoff = endedBy.ToUnixTimeMilliseconds(),
            failed = ServiceStatus.Failed, removed = ServiceStatus.Removed,
        }) == 1;

    /// <summary>Every service id, oldest first (the admin's index; the reconciler walks it).</summary>
    public async Task<IReadOnlyList<Guid>> AllIdsAsync() =>
        [.. (await Db.SortedSetRangeByRankAsync(keys.AllServices))
            .Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty)];

    /// <summary>
    /// A page of services, oldest first: an owner's, or everyone's when <paramref name="owner"/> is null.
    /// <paramref name="position"/> is where the previous page stopped in the creation-time index; new
    /// services only ever append to it, so positions stay valid.
    /// </summary>
    public async Task<(IReadOnlyList<ServiceRecord> Records, long? Next)> ListAsync(string? owner, string? status, long position, int limit, string? health = null)
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
                if (record is null || (status is null ? record.Status == ServiceStatus.Removed : record.Status != status)
                    || (health is not null && record.CurrentHealth != health))
                    continue;
                page.Add(record);
                if (page.Count == limit)
                    break;
            }
        }
        var more = await Db.SortedSetLengthAsync(index) > position;
        return (page, more ? position : null);
    }

    /// <summary>The record's hash as the JSON array (field, value, field, value...) the record scripts HSET.</summary>
    private static string FieldsJson(ServiceRecord record) =>
        JsonSerializer.Serialize(record.ToHashEntries().SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() }));
}

/// <summary>Whether a transition happened, and the status the record had (null: no record).</summary>
public sealed record TransitionResult(bool Moved, string? Previous);
