using Messaging.State.Scripts;
using StackExchange.Redis;

namespace Messaging.State.Supervision;

/// <summary>
/// What the worker's supervisor keeps in Redis: its fields of the service records (health, restarts, last exit, log tail,
/// a scheduled restart), the index of scheduled restarts any worker may carry out when due, and the engine time of the
/// last container event handled, from which a supervisor resubscribes after a restart of its own or of the engine.
/// </summary>
public sealed class SupervisionStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    private static readonly string[] Fields =
    [
        ServiceRecordFields.Health, ServiceRecordFields.RestartCount, ServiceRecordFields.LastExitCode, ServiceRecordFields.LastExitOom,
        ServiceRecordFields.LastExitAt, ServiceRecordFields.LogTail, ServiceRecordFields.RestartAttempts,
        ServiceRecordFields.RestartWindowStartedAt, ServiceRecordFields.NextRestartAt, ServiceRecordFields.NextRestartReason,
        ServiceRecordFields.NextRestartDelayMs,
    ];

    private static readonly RedisValue[] ScheduleFields =
    [
        ServiceRecordFields.RestartAttempts, ServiceRecordFields.RestartWindowStartedAt, ServiceRecordFields.NextRestartAt,
        ServiceRecordFields.NextRestartReason, ServiceRecordFields.NextRestartDelayMs,
    ];

    /// <summary>
    /// Writes the supervisor's fields of <paramref name="record"/> and nothing else, clearing those it leaves null, and
    /// files its scheduled restart (or takes it out) in one transaction. The supervisor calls it under the service's
    /// lock (<see cref="Locks.ServiceLocks"/>), which every status change by a command also holds. A record gone
    /// meanwhile is not brought back as a stub.
    /// </summary>
    public async Task SaveAsync(ServiceRecord record)
    {
        var key = keys.Service(record.ServiceId);
        var written = record.ToHashEntries().Where(e => Fields.Contains(e.Name.ToString())).ToArray();
        var cleared = Fields.Except(written.Select(e => e.Name.ToString())).Select(f => (RedisValue)f).ToArray();
        var id = record.ServiceId.ToString("D");
        // The condition watches the key: a write of another field by another process (the edge's certificate state,
        // say) between the watch and the transaction aborts it though the record exists. That abort is tried again;
        // only a record gone ends it (BuildStore.TryClaimAsync, same race).
        for (var attempt = 1; ; attempt++)
        {
            var transaction = Db.CreateTransaction();
            var exists = transaction.AddCondition(Condition.KeyExists(key));
            _ = transaction.HashDeleteAsync(key, cleared);
            if (written.Length > 0)
                _ = transaction.HashSetAsync(key, written);
            _ = record.Restarts.NextAt is { } due
                ? transaction.SortedSetAddAsync(keys.DueRestarts, id, due.ToUnixTimeMilliseconds())
                : transaction.SortedSetRemoveAsync(keys.DueRestarts, id);
            if (await transaction.ExecuteAsync() || !exists.WasSatisfied)
                return;
            if (attempt == 10)
                throw new RedisException($"Service {id}: the supervisor's save kept meeting concurrent writes of its record.");
        }
    }

    /// <summary>
    /// A user's start, stop, restart or removal took over: a restart the supervisor scheduled is dropped and the restart
    /// budget starts again (the lifetime <c>restart_count</c> and the last exit stay).
    /// </summary>
    public async Task ResetAsync(Guid serviceId)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashDeleteAsync(keys.Service(serviceId), ScheduleFields);
        _ = transaction.SortedSetRemoveAsync(keys.DueRestarts, serviceId.ToString("D"));
        await transaction.ExecuteAsync();
    }

    /// <summary>Services whose scheduled restart is due by <paramref name="now"/>, soonest first.</summary>
    public async Task<IReadOnlyList<Guid>> DueRestartsAsync(DateTimeOffset now) =>
        [.. (await Db.SortedSetRangeByScoreAsync(keys.DueRestarts, double.NegativeInfinity, now.ToUnixTimeMilliseconds()))
            .Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty)];

    /// <summary>Takes a service out of the due index (its record is gone or no longer running).</summary>
    public Task ForgetDueAsync(Guid serviceId) => Db.SortedSetRemoveAsync(keys.DueRestarts, serviceId.ToString("D"));

    /// <summary>The engine time (Unix nanoseconds) of the last container event handled, if any.</summary>
    public async Task<long?> EventCursorAsync() => (long?)await Db.StringGetAsync(keys.SupervisorEventCursor);

    /// <summary>Moves the event cursor forward (never back: workers see the same stream at slightly different times).</summary>
    public Task AdvanceEventCursorAsync(long unixNanos) =>
        Db.ScriptEvaluateAsync(StateScripts.AdvanceCursor, new { cursor = keys.SupervisorEventCursor, value = unixNanos });
}
