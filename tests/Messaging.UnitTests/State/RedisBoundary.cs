using System.Text.RegularExpressions;
using Messaging.State;
using Messaging.State.Tokens;

namespace Messaging.UnitTests.State;

/// <summary>
/// What counts as knowing the Redis layout, for <see cref="StateBoundaryTests"/>. Outside the state module:
/// <list type="bullet">
/// <item>no direct data access (<c>GetDatabase()</c>, <c>GetSubscriber()</c>, script evaluation, Lua): the
/// shared connection's health check (a PING in Messaging.ServiceDefaults) is the one allowed use;</item>
/// <item>no string literal shaped like one of our keys (<c>service:…</c>, <c>lock:…</c>, <c>usage:…</c>,
/// <c>idempotency:…</c>, <c>ports</c>…) in a file that uses Redis types;</item>
/// <item>no hash field or status literal in a file that uses Redis types.</item>
/// </list>
/// Files without Redis types are not checked for field and status names: there they are the REST API's and
/// the contracts' vocabulary (JSON property names, wire statuses), which the state module does not own.
/// </summary>
internal static partial class RedisBoundary
{
    private static readonly HashSet<string> Fields =
    [
        .. ServiceRecordFields.All, .. UsageFields.All,
        // tokens, webhooks, audit entries (see their ToHashEntries/ToStreamFields)
        "sha256", "scopes", "expires_at", "revoked_at", "last_used_at", "max_services", "max_memory_bytes", "max_cpus",
        "event_types", "secret", "created_by", "event_type", "event_id", "attempts", "status_code", "kind", "actor",
        "correlation_id", "message_id",
    ];

    private static readonly HashSet<string> Statuses =
        [.. typeof(Messaging.Contracts.ServiceStatus).GetFields().Select(f => (string)f.GetRawConstantValue()!)];

    private static readonly HashSet<string> AllowedDataAccess = [Path.Combine("Messaging.ServiceDefaults", "Health", "RedisHealthCheck.cs")];

    public static IEnumerable<string> Violations(string path, string source)
    {
        var code = WithoutComments(source);
        var usesRedis = RedisTypes().IsMatch(code);
        var lines = code.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var where = $"{path}:{i + 1}: {line.Trim()}";
            if (DataAccess().IsMatch(line) && !AllowedDataAccess.Any(path.EndsWith))
                yield return where + "  <- Redis data access";
            foreach (var literal in StringLiteral().Matches(line).Select(m => m.Groups[1].Value))
            {
                if (KeyShaped().IsMatch(literal) && (usesRedis || line.Contains("RedisKey", StringComparison.Ordinal)))
                    yield return where + $"  <- key \"{literal}\"";
                else if (usesRedis && Fields.Contains(literal))
                    yield return where + $"  <- hash field \"{literal}\"";
                else if (usesRedis && Statuses.Contains(literal))
                    yield return where + $"  <- status \"{literal}\"";
            }
        }
    }

    private static string WithoutComments(string source) => LineComment().Replace(source, "");

    [GeneratedRegex(@"StackExchange\.Redis|\bRedisKey\b|\bRedisValue\b|\bIDatabase\b|\bHashEntry\b|\bIConnectionMultiplexer\b")]
    private static partial Regex RedisTypes();

    [GeneratedRegex(@"\.GetDatabase\(|\.GetSubscriber\(|ScriptEvaluate|LuaScript|redis\.p?call\(")]
    private static partial Regex DataAccess();

    // A key of ours, with or without the prefix in front (the prefix ends in ':').
    [GeneratedRegex(@"^(?:\{[^}]*\}|[\w-]*:)?(?:(?:service|lock|usage|idempotency|command|token|webhook|audit|owner):|(?:names|ports|ports:blocked|service-ports|service-usage|tokens:by-hash)$)")]
    private static partial Regex KeyShaped();

    [GeneratedRegex("\"((?:[^\"\\\\\\n]|\\\\.)*)\"")]
    private static partial Regex StringLiteral();

    // Line comments (also ///), but not '//' inside a string such as "http://".
    [GeneratedRegex(@"(?m)^\s*//.*$|\s//\s.*$")]
    private static partial Regex LineComment();
}
