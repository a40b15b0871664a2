using System.Text.RegularExpressions;

namespace Messaging.Validation;

/// <summary>
/// The syntax of a build request (issue 17), shared by the API and the worker so that they refuse the same things.
/// What a context allows (which arguments, which values) is the worker's configuration and only the worker judges it.
/// </summary>
public static partial class BuildRules
{
    public const int MaxArgs = 32;
    public const int MaxArgValueLength = 1024;

    /// <summary>A context name: it becomes a path component of the image's repository, so the service-name rule.</summary>
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,62}\z", RegexOptions.CultureInvariant)]
    public static partial Regex ContextNamePattern();

    /// <summary>A build argument's name: what a Dockerfile's <c>ARG</c> takes as a plain identifier.</summary>
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}\z", RegexOptions.CultureInvariant)]
    public static partial Regex ArgNamePattern();

    /// <summary>Problems with the syntax of a request's context and arguments; empty when it is well formed.</summary>
    public static IEnumerable<(string Field, string Message)> SyntaxProblems(string? context, IReadOnlyDictionary<string, string>? args)
    {
        if (string.IsNullOrEmpty(context) || !ContextNamePattern().IsMatch(context))
            yield return ("context", "must be a build context's name: 2-63 characters of a-z, 0-9 and '-'.");
        if (args is null)
            yield break;
        if (args.Count > MaxArgs)
            yield return ("args", $"at most {MaxArgs} build arguments.");
        foreach (var (name, value) in args)
        {
            if (name is null || !ArgNamePattern().IsMatch(name))
                yield return ($"args.{name}", "a build argument's name is a letter or '_' then letters, digits or '_' (at most 64).");
            else if (value is null)
                yield return ($"args.{name}", "must be a string.");
            else if (value.Length > MaxArgValueLength)
                yield return ($"args.{name}", $"at most {MaxArgValueLength} characters.");
            else if (value.Any(char.IsControl))
                yield return ($"args.{name}", "must not hold control characters (newlines included).");
        }
    }
}
