using System.Globalization;
using StackExchange.Redis;

namespace Messaging.State;

/// <summary>
/// The fields of one Redis hash or stream entry, read back the way the state module writes them: text as is, numbers
/// in the invariant culture, instants as Unix milliseconds. An absent or empty field reads as null, so a record
/// written by an older version (without a newer field) still reads.
/// </summary>
internal readonly struct StoredFields
{
    private readonly Func<string, RedisValue> _field;

    private StoredFields(Func<string, RedisValue> field) => _field = field;

    public static StoredFields Of(HashEntry[] entries)
    {
        var map = entries.ToDictionary(e => e.Name.ToString(), e => e.Value);
        return new StoredFields(name => map.GetValueOrDefault(name));
    }

    public static StoredFields Of(StreamEntry entry) => new(name => entry[name]);

    public string? Text(string name) => _field(name) is { IsNullOrEmpty: false } value ? value.ToString() : null;

    public int? Int(string name) => int.TryParse(Text(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null;

    public long? Long(string name) => long.TryParse(Text(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    public double? Double(string name) => double.TryParse(Text(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    public Guid? Guid(string name) => System.Guid.TryParse(Text(name), out var id) ? id : null;

    /// <summary>An instant written as Unix milliseconds.</summary>
    public DateTimeOffset? Time(string name) => Long(name) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
