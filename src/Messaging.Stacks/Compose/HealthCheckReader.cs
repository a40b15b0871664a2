using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Stacks.Yaml;

namespace Messaging.Stacks.Compose;

/// <summary>
/// <c>healthcheck</c> as Compose writes it: <c>test</c> (<c>["CMD", program, args...]</c>, <c>["CMD-SHELL", line]</c>, a
/// line, or <c>["NONE"]</c>), <c>interval</c>, <c>timeout</c>, <c>start_period</c> (durations such as <c>30s</c>,
/// <c>1m30s</c>, <c>500ms</c>), <c>retries</c>, <c>disable</c>.
/// </summary>
internal static partial class HealthCheckReader
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);
    public const int MaxRetries = 100;

    private static readonly string[] Keys = ["test", "interval", "timeout", "retries", "start_period", "disable"];

    public static StackHealthCheck? Read(YamlNode? node, string path, ProblemList problems)
    {
        if (node is null || Scalars.Only(node, path, Keys, problems) is not { } mapping)
            return null;
        if (Scalars.Boolean(mapping["disable"], ProblemList.Join(path, "disable"), problems) == true)
            return null;

        var test = ReadTest(mapping["test"], ProblemList.Join(path, "test"), problems);
        var interval = Duration(mapping["interval"], ProblemList.Join(path, "interval"), problems);
        var timeout = Duration(mapping["timeout"], ProblemList.Join(path, "timeout"), problems);
        var startPeriod = Duration(mapping["start_period"], ProblemList.Join(path, "start_period"), problems);
        int? retries = null;
        if (Scalars.Text(mapping["retries"], ProblemList.Join(path, "retries"), problems, required: false) is { } text)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= MaxRetries)
                retries = value;
            else
                problems.Add(ProblemList.Join(path, "retries"), $"must be a whole number from 1 to {MaxRetries}.");
        }
        return test is null ? null : new StackHealthCheck(test, interval, timeout, retries, startPeriod);
    }

    /// <summary>The exec or shell form; null for <c>NONE</c> (no check) or a problem.</summary>
    private static List<string>? ReadTest(YamlNode? node, string path, ProblemList problems)
    {
        switch (node)
        {
            case null:
                problems.Add(path, "is required (the image's own check is not used).");
                return null;
            case YamlScalar { IsNull: false } line:
                return ["CMD-SHELL", line.Value];
            case YamlSequence list:
                var items = new List<string>();
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (Scalars.Text(list.Items[i], $"{path}[{i}]", problems, required: true) is { } item)
                        items.Add(item);
                }
                if (items.Count != list.Items.Count)
                    return null;
                if (items is ["NONE"])
                    return null;
                if (items is ["CMD", _, ..] or ["CMD-SHELL", _] && items.Count <= MemberReader.MaxArguments &&
                    items.All(a => a.Length <= 4096 && !a.Contains('\0')))
                    return items;
                problems.Add(path, "must be [\"CMD\", program, args...], [\"CMD-SHELL\", line] or [\"NONE\"].");
                return null;
            default:
                problems.Add(path, "must be a list or one shell line.");
                return null;
        }
    }

    private static TimeSpan? Duration(YamlNode? node, string path, ProblemList problems)
    {
        var text = Scalars.Text(node, path, problems, required: false);
        if (text is null)
            return null;
        var match = DurationPattern().Match(text);
        if (!match.Success || match.Length == 0)
        {
            problems.Add(path, "must be a duration such as 30s, 1m30s or 500ms.");
            return null;
        }
        long Part(string name) => match.Groups[name].Success ? long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var value = TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s")) +
                    TimeSpan.FromMilliseconds(Part("ms"));
        if (value <= TimeSpan.Zero || value > MaxDuration)
        {
            problems.Add(path, $"must be more than 0 and at most {MaxDuration.TotalMinutes:0} minutes.");
            return null;
        }
        return value;
    }

    // Compose's units, largest first, each at most once; at most 4 digits each keeps the sum far from overflow.
    [GeneratedRegex(@"^(?:(?<h>[0-9]{1,4})h)?(?:(?<m>[0-9]{1,4})m(?!s))?(?:(?<s>[0-9]{1,4})s)?(?:(?<ms>[0-9]{1,4})ms)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
