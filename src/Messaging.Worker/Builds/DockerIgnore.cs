using System.Text;
using System.Text.RegularExpressions;

namespace Messaging.Worker.Builds;

/// <summary>
/// The rules of a context's <c>.dockerignore</c>, as the Docker CLI applies them (moby's patternmatcher): one pattern a
/// line, <c>#</c> comments, a leading <c>!</c> re-includes, the last matching line decides, a pattern matches a path or
/// any of its parent directories, <c>*</c> and <c>?</c> stay within one path component, <c>**</c> spans any number of
/// them, <c>[...]</c> is a class and <c>\</c> escapes. Written here (about sixty lines) because no package on the
/// registry implements these rules: the .gitignore matchers differ on anchoring (a .dockerignore pattern is always
/// relative to the context's root) and on parent matching. The daemon's classic builder does not filter the context
/// itself; whoever packs it must.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclusion)> _rules = [];

    public static DockerIgnore Empty { get; } = new([]);

    public DockerIgnore(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var exclusion = line.StartsWith('!');
            if (exclusion)
                line = line[1..].Trim();
            line = Clean(line);
            if (line.Length == 0)
                continue;
            _rules.Add((new Regex(ToRegex(line), RegexOptions.CultureInvariant | RegexOptions.Singleline), exclusion));
        }
    }

    /// <summary>Whether any line re-includes (a directory that is ignored must then still be walked).</summary>
    public bool HasExclusions => _rules.Any(r => r.Exclusion);

    /// <summary>Whether the context-relative path (with '/') is left out of the context.</summary>
    public bool IsIgnored(string relativePath)
    {
        var path = Clean(relativePath);
        var parents = Parents(path).ToList();
        var ignored = false;
        foreach (var (pattern, exclusion) in _rules)
        {
            if (parents.Any(pattern.IsMatch))
                ignored = !exclusion;
        }
        return ignored;
    }

    // "a/b/c" -> "a", "a/b", "a/b/c": a pattern naming a directory takes everything under it.
    private static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/'); i >= 0; i = path.IndexOf('/', i + 1))
            yield return path[..i];
        yield return path;
    }

    // Like Go's filepath.Clean for relative paths, plus the leading '/' Docker strips.
    private static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/')) // on Linux a backslash escapes; it is no separator
        {
            if (part is "" or ".")
                continue;
            if (part == ".." && parts.Count > 0 && parts[^1] != "..")
                parts.RemoveAt(parts.Count - 1);
            else
                parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    regex.Append("(?:.*/)?"); // "**/" : zero or more directories
                }
                else
                    regex.Append(".*");
            }
            else if (c == '*')
                regex.Append("[^/]*");
            else if (c == '?')
                regex.Append("[^/]");
            else if (c == '[' && pattern.IndexOf(']', i + 1) is var close and > 0)
            {
                var body = pattern[(i + 1)..close];
                if (body.StartsWith('!') || body.StartsWith('^'))
                    body = "^" + body[1..];
                regex.Append('[').Append(body.Replace("\\", "\\\\").Replace("[", "\\[")).Append(']');
                i = close;
            }
            else if (c == '\\' && i + 1 < pattern.Length)
                regex.Append(Regex.Escape(pattern[++i].ToString()));
            else
                regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.Append("\\z").ToString();
    }
}
