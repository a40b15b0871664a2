using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.State.Scripts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.State.Audit;

/// <summary>
/// The audit trail in Redis: an append-only stream of every command and event (<see cref="RedisKeys.Audit"/>),
/// plus a shorter stream per service with the same entry ids, so one service's history is read without
/// scanning everyone's. Written by the audit host only; read by the API.
/// </summary>
public sealed partial class AuditStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<AuditOptions> options, TimeProvider clock)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>Whether <paramref name="id"/> has the shape of a stream entry id (<c>ms-seq</c>).</summary>
    public static bool IsEntryId(string? id) => id is not null && EntryId().IsMatch(id);

    /// <summary>The smallest entry id at or after <paramref name="time"/>.</summary>
    public static string FirstIdAt(DateTimeOffset time) => $"{Math.Max(0, time.ToUnixTimeMilliseconds())}-0";

    /// <summary>
    /// Appends an entry to the trail and to its service's (or stack's, or build's) stream, trims both, and announces it on
    /// <see cref="RedisKeys.AuditChannel"/>, all in one atomic step. Returns the entry id, or null when a
    /// message with this <paramref name="messageId"/> was already recorded (a redelivery).
    /// </summary>
    public async Task<string?> AppendAsync(AuditEntry entry, Guid? messageId)
    {
        var settings = options.Value;
        var minId = settings.MaxAge is { } age ? FirstIdAt(clock.GetUtcNow() - age) : "";
        var result = await Db.ScriptEvaluateAsync(StateScripts.AuditAppend, new
        {
            seen = keys.AuditSeen(messageId ?? Guid.Empty), trail = keys.Audit, serviceTrail = entry.BuildId is { } buildId ? keys.BuildAudit(buildId)
                : entry.StackId is { } stackId ? keys.StackAudit(stackId) : keys.ServiceAudit(entry.ServiceId),
            dedupSeconds = messageId is null ? "" : ((long)settings.DeduplicationWindow.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            maxLength = settings.MaxLength, serviceMaxLength = settings.ServiceMaxLength, minId, channel = keys.AuditChannel,
            ownerTrail = keys.OwnerAudit(entry.Owner),
            ownerMaxLength = string.IsNullOrEmpty(entry.Owner) ? "" : settings.OwnerMaxLength.ToString(CultureInfo.InvariantCulture),
            fields = JsonSerializer.Serialize(entry.ToStreamFields().SelectMany(f => new[] { f.Name.ToString(), f.Value.ToString() })),
        });
        return result.IsNull ? null : result.ToString();
    }

    /// <summary>The id of the newest entry, or <c>0-0</c> when the trail is empty: "from now on" for a live stream.</summary>
    public async Task<string> LastIdAsync()
    {
        var newest = await Db.StreamRangeAsync(keys.Audit, "-", "+", 1, Order.Descending);
        return newest.Length == 0 ? "0-0" : newest[0].Id.ToString();
    }

    /// <summary>
    /// Up to <paramref name="count"/> entries of the whole trail, oldest first: after the entry id
    /// <paramref name="after"/> (exclusive) if given, else from the id <paramref name="from"/> (inclusive), else from the start.
    /// </summary>
    public Task<IReadOnlyList<AuditEntry>> ReadAsync(string? after, string? from, int count) =>
        RangeAsync(keys.Audit, after is not null ? "(" + after : from ?? "-", count);

    /// <summary>Up to <paramref name="count"/> entries of one service, oldest first, after <paramref name="after"/> (exclusive).</summary>
    public Task<IReadOnlyList<AuditEntry>> ReadServiceAsync(Guid serviceId, string? after, int count) =>
        RangeAsync(keys.ServiceAudit(serviceId), after is not null ? "(" + after : "-", count);

    /// <summary>Up to <paramref name="count"/> entries of one build (its command and outcome), oldest first, after <paramref name="after"/> (exclusive).</summary>
    public Task<IReadOnlyList<AuditEntry>> ReadBuildAsync(Guid buildId, string? after, int count) =>
        RangeAsync(keys.BuildAudit(buildId), after is not null ? "(" + after : "-", count);

    /// <summary>Up to <paramref name="count"/> entries of one stack (its own commands and events), oldest first, after <paramref name="after"/> (exclusive).</summary>
    public Task<IReadOnlyList<AuditEntry>> ReadStackAsync(Guid stackId, string? after, int count) =>
        RangeAsync(keys.StackAudit(stackId), after is not null ? "(" + after : "-", count);

    /// <summary>
    /// Up to <paramref name="count"/> entries of one owner's services, oldest first, after <paramref name="after"/>
    /// (exclusive): read from the owner's own stream, not filtered out of everyone's.
    /// </summary>
    public Task<IReadOnlyList<AuditEntry>> ReadOwnerAsync(string owner, string after, int count) =>
        RangeAsync(keys.OwnerAudit(owner), "(" + after, count);

    /// <summary>
    /// When more than <paramref name="keep"/> entries follow <paramref name="after"/> (in the owner's stream, or the
    /// whole trail when <paramref name="owner"/> is null): the id after which exactly the newest <paramref name="keep"/>
    /// remain. Null when there are no more than that.
    /// </summary>
    public async Task<string?> SkipToNewestAsync(string? owner, string after, int keep)
    {
        var newest = await Db.StreamRangeAsync(owner is null ? keys.Audit : keys.OwnerAudit(owner), "(" + after, "+", keep + 1, Order.Descending);
        return newest.Length > keep ? newest[keep].Id.ToString() : null;
    }

    /// <summary>The greatest possible entry id before <paramref name="time"/>: "after" it means "from that time on".</summary>
    public static string LastIdBefore(DateTimeOffset time) => $"{Math.Max(0, time.ToUnixTimeMilliseconds() - 1)}-{ulong.MaxValue}";

    /// <summary>Orders two entry ids (<c>ms-seq</c>) as the stream does.</summary>
    public static int CompareIds(string left, string right)
    {
        // An id of 20 digits may exceed what a stream can hold: it sorts last.
        static ulong Part(ReadOnlySpan<char> digits) => ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : ulong.MaxValue;
        static (ulong Ms, ulong Seq) Parse(string id)
        {
            var dash = id.IndexOf('-');
            return (Part(id.AsSpan(0, dash)), Part(id.AsSpan(dash + 1)));
        }
        return Parse(left).CompareTo(Parse(right));
    }

    private async Task<IReadOnlyList<AuditEntry>> RangeAsync(RedisKey key, string min, int count)
    {
        var entries = await Db.StreamRangeAsync(key, min, "+", count);
        return [.. entries.Select(AuditEntry.FromStreamEntry)];
    }

    [GeneratedRegex(@"^\d{1,20}-\d{1,20}\z")]
    private static partial Regex EntryId();
}
