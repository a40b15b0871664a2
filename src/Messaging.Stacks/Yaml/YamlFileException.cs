namespace Messaging.Stacks.Yaml;

/// <summary>A file that is not YAML the subset will read: bad syntax, a tag, too big, too deep, expanding too far.</summary>
internal sealed class YamlFileException(string path, string message) : Exception(message)
{
    /// <summary>Where, as the subset names places (<c>services.db</c>), or empty for the file as a whole.</summary>
    public string Path { get; } = path;
}
