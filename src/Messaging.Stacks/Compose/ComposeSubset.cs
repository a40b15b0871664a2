using Messaging.Stacks.Yaml;

namespace Messaging.Stacks.Compose;

/// <summary>The outcome of reading a stack file: a definition, or every problem found (at most <see cref="ComposeSubset.MaxProblems"/>).</summary>
public sealed record StackParseResult(StackDefinition? Definition, IReadOnlyList<StackProblem> Problems)
{
    public bool IsValid => Definition is not null;
}

/// <summary>
/// Reads the restricted Compose subset of stacks and templates (docs/STACKS.md). Everything outside it is refused
/// with the path of the key, so a file is taken whole or not at all; nothing here decides what is allowed to run
/// (the allowlist and caps are the worker's), only what may be asked for.
/// </summary>
public static class ComposeSubset
{
    /// <summary>Most members a stack may have.</summary>
    public const int MaxMembers = 20;

    /// <summary>Problems reported at most; a hostile file may have thousands.</summary>
    public const int MaxProblems = 20;

    public static StackParseResult Parse(string text)
    {
        YamlNode root;
        try
        {
            root = BoundedYamlReader.Read(text);
        }
        catch (YamlFileException e)
        {
            return new StackParseResult(null, [new StackProblem(e.Path, e.Message)]);
        }
        return Parse(root);
    }

    /// <summary>Reads a tree already loaded (a template's, after its parameters were put in).</summary>
    internal static StackParseResult Parse(YamlNode root)
    {
        var problems = new ProblemList();
        var definition = StackFileReader.Read(root, problems);
        return problems.Count == 0 && definition is not null
            ? new StackParseResult(definition, [])
            : new StackParseResult(null, problems.Items);
    }
}
