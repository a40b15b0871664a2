namespace Messaging.Stacks.Yaml;

/// <summary>
/// A YAML node as the compose subset reads it: plain data, aliases already pointing at their anchored node, merge
/// keys (<c>&lt;&lt;</c>) already merged. <see cref="Line"/> is 1-based, for messages.
/// </summary>
internal abstract record YamlNode(int Line);

/// <summary>A scalar; <see cref="Quoted"/> when written in quotes (then never null or a number, just text).</summary>
internal sealed record YamlScalar(string Value, bool Quoted, int Line) : YamlNode(Line)
{
    /// <summary>YAML's null: <c>~</c>, <c>null</c> or nothing at all, unquoted.</summary>
    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record YamlSequence(IReadOnlyList<YamlNode> Items, int Line) : YamlNode(Line);

/// <summary>A mapping with scalar keys, in the order written (merged entries after the explicit ones).</summary>
internal sealed record YamlMapping(IReadOnlyList<KeyValuePair<string, YamlNode>> Entries, int Line) : YamlNode(Line)
{
    public YamlNode? this[string key] => Entries.FirstOrDefault(e => e.Key == key).Value;
}
