using StackExchange.Redis;

namespace Messaging.State.Templates;

/// <summary>
/// Templates added at run time through the admin API (issue 16), beside the catalogue's files. Each name and version
/// is written once and never changed: a template users created services from must not silently become another, so
/// a change is a new version.
/// </summary>
public sealed class TemplateStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    /// <summary>Most templates the store holds, so that the catalogue stays small enough to parse per request.</summary>
    public const int MaxTemplates = 200;

    private IDatabase Db => redis.GetDatabase();

    private static RedisValue Field(string name, int version) => $"{name}:{version}";

    /// <summary>Stores a new template version; false when that name and version exist or the store is full.</summary>
    public async Task<bool> TryAddAsync(string name, int version, string text) =>
        await Db.HashLengthAsync(keys.Templates) < MaxTemplates && await Db.HashSetAsync(keys.Templates, Field(name, version), text, When.NotExists);

    /// <summary>Every stored template's text.</summary>
    public async Task<IReadOnlyList<string>> AllAsync() =>
        [.. (await Db.HashValuesAsync(keys.Templates)).Select(v => v.ToString())];

    /// <summary>Deletes a stored template version; false when there was none.</summary>
    public Task<bool> RemoveAsync(string name, int version) => Db.HashDeleteAsync(keys.Templates, Field(name, version));
}
