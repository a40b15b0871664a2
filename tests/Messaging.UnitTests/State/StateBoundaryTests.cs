using System.Text.RegularExpressions;
using Messaging.State;
using Messaging.State.Scripts;
using Messaging.State.Tokens;

namespace Messaging.UnitTests.State;

/// <summary>
/// The state module (src/Messaging.State) is the only code that knows how state is laid out in Redis. These
/// tests read the source of every other project under src/ and fail when one spells a key, a hash field or a
/// status for Redis, or talks to Redis data directly; and they hold the module's Lua to the fields its C# declares.
/// </summary>
public sealed partial class StateBoundaryTests
{
    [Fact]
    public void No_project_outside_the_state_module_spells_a_Redis_key_field_or_status()
    {
        var violations = SourceFilesOutsideState().SelectMany(file => RedisBoundary.Violations(file, File.ReadAllText(file))).ToList();
        Assert.True(violations.Count == 0, "Redis layout outside src/Messaging.State:\n" + string.Join('\n', violations));
    }

    [Theory]
    [InlineData("var key = prefix + \"lock:reconciler\"; db.KeyExists(key);", "using StackExchange.Redis;")]
    [InlineData("RedisKey key = $\"{prefix}service:{id}\";", "")]
    [InlineData("await db.HashSetAsync(key, \"status\", \"running\");", "using StackExchange.Redis;")]
    [InlineData("batch.HashGetAsync(keys.Usage(owner), \"millicpus\");", "using StackExchange.Redis;")]
    [InlineData("var ports = redis.GetDatabase().HashLength(keys.Ports);", "")]
    [InlineData("await db.ScriptEvaluateAsync(\"return redis.call('GET', KEYS[1])\", [key]);", "")]
    [InlineData("new HashEntry(\"command_id\", id)", "using StackExchange.Redis;")]
    public void The_scan_catches_what_it_is_for(string line, string header)
    {
        Assert.NotEmpty(RedisBoundary.Violations("Sample.cs", header + "\n" + line));
    }

    [Theory]
    [InlineData("[JsonPropertyName(\"host_port\")] public int? HostPort { get; init; }")] // a REST/contract property name
    [InlineData("public const string Running = \"running\";")] // the wire status in Contracts or the CLI
    [InlineData("var partition = \"token:\" + user.Id();")] // a rate-limit partition, not a Redis key
    [InlineData("public const string ServicesRead = \"services:read\";")]
    [InlineData("logger.LogInformation(\"{Status}\", record.Status); // status: running")]
    public void The_scan_leaves_REST_and_contract_names_alone(string line)
    {
        Assert.Empty(RedisBoundary.Violations("Sample.cs", line));
    }

    [Fact]
    public void Every_field_a_record_script_writes_or_reads_is_a_declared_record_field()
    {
        foreach (var script in (string[])["create-pending", "delete-pending", "claim-creation", "transition", "delete-expired"])
            Assert.All(FieldsNamedOn("record", StateScripts.Text(script)), field => Assert.Contains(field, ServiceRecordFields.All));
    }

    [Fact]
    public void Every_field_a_reservation_script_counts_is_a_declared_usage_field()
    {
        var named = new[] { "reserve", "restore-reservation", "release-reservation" }
            .SelectMany(script => FieldsNamedOn("usage", StateScripts.Text(script))).ToList();
        Assert.NotEmpty(named);
        Assert.All(named, field => Assert.Contains(field, UsageFields.All));
    }

    [Fact]
    public void No_script_spells_a_status_status_values_come_from_the_caller()
    {
        var statuses = typeof(Messaging.Contracts.ServiceStatus).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        foreach (var resource in typeof(StateScripts).Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".lua", StringComparison.Ordinal)))
        {
            var name = resource["Messaging.State.Scripts.".Length..^".lua".Length];
            var literals = LuaLiteral().Matches(StateScripts.Text(name)).Select(m => m.Groups[1].Value);
            Assert.DoesNotContain(literals, statuses.Contains);
        }
    }

    [Fact]
    public void Every_embedded_script_is_prepared_and_every_prepared_script_is_embedded()
    {
        var embedded = typeof(StateScripts).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".lua", StringComparison.Ordinal));
        var prepared = typeof(StateScripts).GetProperties().Count(p => p.PropertyType == typeof(StackExchange.Redis.LuaScript) && p.GetValue(null) is not null);
        Assert.Equal(embedded, prepared);
    }

    /// <summary>The quoted field names in HGET/HSET/HMGET/HINCRBY/HEXISTS/HDEL calls on the script parameter <paramref name="key"/>.</summary>
    private static IEnumerable<string> FieldsNamedOn(string key, string lua) =>
        HashCall().Matches(lua).Where(m => m.Groups["key"].Value == key)
            .SelectMany(m => LuaLiteral().Matches(m.Groups["args"].Value).Select(l => l.Groups[1].Value))
            .Where(field => field.Length > 0);

    [GeneratedRegex(@"redis\.call\('(?:HGET|HSET|HMGET|HINCRBY|HEXISTS|HDEL)',\s*@(?<key>\w+)\s*,(?<args>[^)]*)\)")]
    private static partial Regex HashCall();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex LuaLiteral();

    private static IEnumerable<string> SourceFilesOutsideState()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        var state = Path.Combine(src, "Messaging.State") + Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(state, StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Messaging.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Messaging.sln not found above " + AppContext.BaseDirectory);
    }
}
