namespace Messaging.Stacks.Yaml;

/// <summary>What a stack file may cost to read, whoever sent it.</summary>
public static class YamlLimits
{
    /// <summary>Largest file accepted, in UTF-8 bytes.</summary>
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>
    /// Most nodes the document may have once every alias is counted as a copy of its anchor: the "billion laughs"
    /// file is a few hundred bytes that expand past any memory. Generous for a real stack, which has a few hundred.
    /// </summary>
    public const int MaxExpandedNodes = 10_000;

    /// <summary>Deepest nesting of mappings and sequences; the subset needs 5 (services.x.deploy.resources.limits).</summary>
    public const int MaxDepth = 32;
}
