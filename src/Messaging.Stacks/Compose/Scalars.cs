using Messaging.Stacks.Yaml;

namespace Messaging.Stacks.Compose;

/// <summary>Reading the plain values of the subset, with a problem at the path when the form is wrong.</summary>
internal static class Scalars
{
    /// <summary>The text of a scalar; null (and a problem when <paramref name="required"/>) when absent or not a scalar.</summary>
    public static string? Text(YamlNode? node, string path, ProblemList problems, bool required)
    {
        switch (node)
        {
            case null or YamlScalar { IsNull: true }:
                if (required)
                    problems.Add(path, "is required.");
                return null;
            case YamlScalar scalar:
                return scalar.Value;
            default:
                problems.Add(path, "must be a single value, not a list or a mapping.");
                return null;
        }
    }

    /// <summary>The node as a mapping holding no keys but <paramref name="allowed"/>; null (with problems) otherwise.</summary>
    public static YamlMapping? Only(YamlNode node, string path, string[] allowed, ProblemList problems)
    {
        if (node is not YamlMapping mapping)
        {
            problems.Add(path, $"must be a mapping ({string.Join(", ", allowed)}).");
            return null;
        }
        var before = problems.Count;
        foreach (var (key, _) in mapping.Entries.Where(e => !allowed.Contains(e.Key)))
            problems.Add(ProblemList.Join(path, key), $"is not part of the stack subset here (only {string.Join(", ", allowed)}).");
        return problems.Count == before ? mapping : null;
    }

    /// <summary>A YAML boolean written plainly (<c>true</c>/<c>false</c>).</summary>
    public static bool? Boolean(YamlNode? node, string path, ProblemList problems)
    {
        var text = Text(node, path, problems, required: false);
        switch (text)
        {
            case null: return null;
            case "true" or "True" or "TRUE": return true;
            case "false" or "False" or "FALSE": return false;
            default:
                problems.Add(path, "must be true or false.");
                return null;
        }
    }
}
