using StackExchange.Redis;

namespace Messaging.State.Scripts;

/// <summary>
/// Every Lua script of the state module, read from the embedded <c>Scripts/*.lua</c> files and prepared once.
/// Parameters are named (<c>@name</c>) and come from an object's members; members of type
/// <see cref="RedisKey"/> are sent as KEYS. StackExchange.Redis loads each script once per server
/// (<c>SCRIPT LOAD</c>, pipelined with the first call), runs it by hash (<c>EVALSHA</c>) after that, and when
/// Redis answers <c>NOSCRIPT</c> (restarted, or its script cache flushed) sends it again in full. A
/// <see cref="LoadedLuaScript"/> pinned to one server would add nothing to that and break on a failover.
/// </summary>
internal static class StateScripts
{
    public static LuaScript Reserve { get; } = Load("reserve");
    public static LuaScript ReserveStack { get; } = Load("reserve-stack");
    public static LuaScript RestoreReservation { get; } = Load("restore-reservation");
    public static LuaScript ReleaseReservation { get; } = Load("release-reservation");
    public static LuaScript RecountHostUsage { get; } = Load("recount-host-usage");
    public static LuaScript CreatePending { get; } = Load("create-pending");
    public static LuaScript DeletePending { get; } = Load("delete-pending");
    public static LuaScript ClaimCreation { get; } = Load("claim-creation");
    public static LuaScript Transition { get; } = Load("transition");
    public static LuaScript ExpireUnconfirmed { get; } = Load("expire-unconfirmed");
    public static LuaScript DeleteExpired { get; } = Load("delete-expired");
    public static LuaScript LockRelease { get; } = Load("lock-release");
    public static LuaScript LockRenew { get; } = Load("lock-renew");
    public static LuaScript TokenByHash { get; } = Load("token-by-hash");
    public static LuaScript AuditAppend { get; } = Load("audit-append");
    public static LuaScript AdvanceCursor { get; } = Load("advance-cursor");
    public static LuaScript ReserveHostnames { get; } = Load("reserve-hostnames");
    public static LuaScript ReleaseHostnames { get; } = Load("release-hostnames");
    public static LuaScript SetQueuePosition { get; } = Load("set-queue-position");
    public static LuaScript PoolReserveMember { get; } = Load("pool-reserve-member");
    public static LuaScript PoolMemberReady { get; } = Load("pool-member-ready");
    public static LuaScript PoolClaim { get; } = Load("pool-claim");
    public static LuaScript PoolRetireMember { get; } = Load("pool-retire-member");
    public static LuaScript PoolForgetMember { get; } = Load("pool-forget-member");
    public static LuaScript PoolRestoreMember { get; } = Load("pool-restore-member");

    /// <summary>The text of an embedded script, as written (before parameters are rewritten to ARGV).</summary>
    public static string Text(string name)
    {
        using var stream = typeof(StateScripts).Assembly.GetManifestResourceStream($"Messaging.State.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"No embedded script {name}.lua in Messaging.State.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static LuaScript Load(string name) => LuaScript.Prepare(Text(name));
}
