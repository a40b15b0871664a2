using StackExchange.Redis;

namespace Messaging.State;

/// <summary>The Redis key layout, in one place.</summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>Hash: one service record.</summary>
    public RedisKey Service(Guid serviceId) => $"{Prefix}service:{serviceId:D}";

    /// <summary>Hash: service name -> service id (live names only).</summary>
    public RedisKey Names => $"{Prefix}names";

    /// <summary>Hash: host port -> service id (the reservation is the fence against double allocation).</summary>
    public RedisKey Ports => $"{Prefix}ports";

    /// <summary>Hash: service id -> host port (reverse of <see cref="Ports"/>).</summary>
    public RedisKey ServicePorts => $"{Prefix}service-ports";

    /// <summary>Sorted set: ports the engine refused (taken outside our knowledge), scored by when to try again.</summary>
    public RedisKey BlockedPorts => $"{Prefix}ports:blocked";

    /// <summary>String: the reservation lock (random token, TTL).</summary>
    public RedisKey ReservationLock => $"{Prefix}lock:reservations";

    /// <summary>String (expiring): held by the worker that checks for (and creates) the services network.</summary>
    public RedisKey NetworkLock => $"{Prefix}lock:network";

    /// <summary>String (expiring): held by the worker running a reconcile pass.</summary>
    public RedisKey ReconcilerLock => $"{Prefix}lock:reconciler";

    /// <summary>Sorted set: every service id by creation time (the admin's listing).</summary>
    public RedisKey AllServices => $"{Prefix}services";

    /// <summary>Sorted set: services with a restart the supervisor scheduled, scored by when it is due (Unix ms).</summary>
    public RedisKey DueRestarts => $"{Prefix}supervisor:due-restarts";

    /// <summary>String: the engine time (Unix ns) of the last container event a supervisor handled; it resubscribes from there.</summary>
    public RedisKey SupervisorEventCursor => $"{Prefix}supervisor:event-cursor";

    /// <summary>String: lock serialising the commands of one service (held across engine calls, renewed).</summary>
    public RedisKey ServiceLock(Guid serviceId) => $"{Prefix}lock:service:{serviceId:D}";

    /// <summary>
    /// String (JSON, expiring): the terminal event a command ended with on a service, replayed on redelivery. Keyed by
    /// service and command: a command id is the publisher's to choose, so one reused on another service is another command.
    /// </summary>
    public RedisKey CommandOutcome(Guid serviceId, Guid commandId) => $"{Prefix}command:{serviceId:D}:{commandId:D}";

    /// <summary>String (expiring): an owner's Idempotency-Key -> service id.</summary>
    public RedisKey IdempotencyKey(string owner, string key) => $"{Prefix}idempotency:{owner}:{key}";

    /// <summary>Hash: one API token (hash of the secret, scopes, quotas, expiry, revocation).</summary>
    public RedisKey Token(string id) => TokenKeyPrefix + id;

    /// <summary>What every token hash's key starts with (scripts that find a token by its hash build the key).</summary>
    public string TokenKeyPrefix => $"{Prefix}token:";

    /// <summary>Hash: SHA-256 of a token -> token id.</summary>
    public RedisKey TokensByHash => $"{Prefix}tokens:by-hash";

    /// <summary>Sorted set: token ids by creation time.</summary>
    public RedisKey Tokens => $"{Prefix}tokens";

    /// <summary>Hash: an owner's current usage (services, memory_bytes, millicpus), changed only with reservations.</summary>
    public RedisKey Usage(string owner) => $"{Prefix}usage:{owner}";

    /// <summary>
    /// Hash: what all services hold of the host budget (memory_bytes, millicpus), changed only with reservations, in
    /// the same scripts as <see cref="Usage"/>; recounted from <see cref="ServiceUsage"/> by every reconcile pass.
    /// </summary>
    public RedisKey HostUsage => $"{Prefix}host-usage";

    /// <summary>Hash: service id -> "owner memory_bytes millicpus" counted in its owner's usage (and in <see cref="HostUsage"/>).</summary>
    public RedisKey ServiceUsage => $"{Prefix}service-usage";

    /// <summary>Sorted set: an owner's service ids by creation time.</summary>
    public RedisKey OwnerServices(string owner) => $"{Prefix}owner:{owner}:services";

    /// <summary>Stream: the audit trail, every command and event in arrival order (trimmed by <c>Audit:MaxLength</c>/<c>MaxAge</c>).</summary>
    public RedisKey Audit => $"{Prefix}audit";

    /// <summary>Stream: one service's slice of the audit trail, same entry ids as <see cref="Audit"/> (trimmed shorter).</summary>
    public RedisKey ServiceAudit(Guid serviceId) => $"{Prefix}audit:service:{serviceId:D}";

    /// <summary>Stream: one owner's slice of the audit trail, same entry ids as <see cref="Audit"/> (what their live stream reads).</summary>
    public RedisKey StackAudit(Guid stackId) => $"{Prefix}audit:stack:{stackId:D}";

    /// <summary>Stream: one build's slice of the audit trail (its command and outcome), same entry ids as <see cref="Audit"/>.</summary>
    public RedisKey BuildAudit(Guid buildId) => $"{Prefix}audit:build:{buildId:D}";

    public RedisKey OwnerAudit(string owner) => $"{Prefix}audit:owner:{owner}";

    /// <summary>String (expiring): a bus message id already written to the audit trail (redeliveries are not written twice).</summary>
    public RedisKey AuditSeen(Guid messageId) => $"{Prefix}audit:seen:{messageId:D}";

    /// <summary>Pub/sub channel: the id of each audit entry as it is appended (wakes the live event streams).</summary>
    public string AuditChannel => $"{Prefix}audit:appended";

    /// <summary>Hash: one webhook subscription (url, event types, secret).</summary>
    public RedisKey Webhook(string id) => $"{Prefix}webhook:{id}";

    /// <summary>Sorted set: webhook subscription ids by creation time.</summary>
    public RedisKey Webhooks => $"{Prefix}webhooks";

    /// <summary>Stream: the delivery outcomes of one webhook subscription (delivered or failed), newest last.</summary>
    public RedisKey WebhookDeliveries(string id) => $"{Prefix}webhook:{id}:deliveries";

    /// <summary>Hash: extra hostname (reached through the edge) -> the service id holding it.</summary>
    public RedisKey Hostnames => $"{Prefix}hostnames";

    /// <summary>Hash: service id -> JSON of its hostnames at the edge and their certificates (written by the edge host).</summary>
    public RedisKey EdgeRoutes => $"{Prefix}edge-routes";

    /// <summary>A stack's record (issue 16): name, owner, status, members, network.</summary>
    public RedisKey Stack(Guid stackId) => $"{Prefix}stack:{stackId:D}";

    /// <summary>Every stack id (a set).</summary>
    public RedisKey AllStacks => $"{Prefix}stacks";

    /// <summary>An owner's stack ids (a set).</summary>
    public RedisKey OwnerStacks(string owner) => $"{Prefix}owner:{owner}:stacks";

    /// <summary>Hash: "name:version" -> a template's text, for templates added through the admin API.</summary>
    public RedisKey Templates => $"{Prefix}templates";

    /// <summary>Hash: one build record (issue 17): context, owner, status, queue position, image, failure, log tail.</summary>
    public RedisKey Build(Guid buildId) => $"{Prefix}build:{buildId:D}";

    /// <summary>Sorted set: every build id by creation time.</summary>
    public RedisKey AllBuilds => $"{Prefix}builds";

    /// <summary>Sorted set: an owner's build ids by creation time.</summary>
    public RedisKey OwnerBuilds(string owner) => $"{Prefix}owner:{owner}:builds";

    /// <summary>Set: every warm pool member not claimed yet (being created, idle or retiring): the pool budget (issue 20).</summary>
    public RedisKey PoolMembers => $"{Prefix}pool:members";

    /// <summary>Sorted set: a pool's idle (claimable) member ids, scored by when they became idle (Unix ms).</summary>
    public RedisKey PoolIdle(string pool) => $"{Prefix}pool:{pool}:idle";

    /// <summary>Hash: one pool member (pool, port, state, container_id, since, claimed_by).</summary>
    public RedisKey PoolMember(Guid memberId) => PoolMemberPrefix + memberId.ToString("D");

    /// <summary>What every pool member's key starts with (the claim script builds the key of the member it finds).</summary>
    public string PoolMemberPrefix => $"{Prefix}pool:member:";

    /// <summary>String (expiring): the member a service claimed, for its command's redeliveries.</summary>
    public RedisKey PoolClaim(Guid serviceId) => $"{Prefix}pool:claim:{serviceId:D}";

    /// <summary>String (expiring): held by the worker whose pool keeper runs a pass (refill, expiry, repairs).</summary>
    public RedisKey PoolKeeperLock => $"{Prefix}lock:pool-keeper";

    /// <summary>Hash: counters over all workers, "&lt;pool&gt;:hits" and "&lt;pool&gt;:misses".</summary>
    public RedisKey PoolStats => $"{Prefix}pool:stats";

    /// <summary>String (JSON, expiring): the pools as the worker's last sweep saw them (what the API's admin endpoint shows).</summary>
    public RedisKey PoolSummary => $"{Prefix}pool:summary";

    /// <summary>
    /// String (JSON, expiring): the worker's allowlist caps and defaults, port range and host budget as it last reported
    /// them (what <c>GET /api/v1/images</c> and <c>/capacity</c> show; the API has no copy of the worker's configuration).
    /// </summary>
    public RedisKey CapacityReport => $"{Prefix}capacity:report";
}
