using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Stacks.Yaml;
using Messaging.Validation;

namespace Messaging.Stacks.Compose;

/// <summary>One entry under <c>services</c>: only the keys of the subset, each checked for its form.</summary>
internal static partial class MemberReader
{
    public const int MaxArguments = 64;

    public static StackMember? Read(string name, YamlNode node, string path, ProblemList problems)
    {
        if (node is not YamlMapping service)
        {
            problems.Add(path, "must be a mapping (image, environment, ...).");
            return null;
        }
        var before = problems.Count;
        foreach (var (key, _) in service.Entries)
        {
            if (!Known.Contains(key))
                problems.Add(ProblemList.Join(path, key), RefusedKeys.ForService(key));
        }

        var image = Scalars.Text(service["image"], ProblemList.Join(path, "image"), problems, required: true);
        if (image is not null && !ImageReference.TryParse(image, out _))
            problems.Add(ProblemList.Join(path, "image"), "must be a Docker image reference such as nginx:alpine.");
        var environment = ReadEnvironment(service["environment"], ProblemList.Join(path, "environment"), problems);
        var command = ReadArguments(service["command"], ProblemList.Join(path, "command"), problems);
        var entrypoint = ReadArguments(service["entrypoint"], ProblemList.Join(path, "entrypoint"), problems);
        var (memory, cpus) = ReadLimits(service["deploy"], ProblemList.Join(path, "deploy"), problems);
        var exposed = ReadPort(service["expose"], ProblemList.Join(path, "expose"), problems, published: false);
        var published = ReadPort(service["ports"], ProblemList.Join(path, "ports"), problems, published: true);
        if (exposed is not null && published is not null && exposed != published)
            problems.Add(ProblemList.Join(path, "ports"), $"publishes {published} but expose says {exposed}: a member listens on one port.");
        var dependsOn = ReadDependencies(service["depends_on"], ProblemList.Join(path, "depends_on"), problems);
        var healthCheck = HealthCheckReader.Read(service["healthcheck"], ProblemList.Join(path, "healthcheck"), problems);

        if (problems.Count > before || image is null)
            return null;
        return new StackMember
        {
            Name = name,
            Image = image,
            Environment = environment,
            Command = command,
            Entrypoint = entrypoint,
            MemoryLimit = memory,
            CpuLimit = cpus,
            InternalPort = published ?? exposed,
            IsPublic = service["ports"] is not null,
            DependsOn = dependsOn,
            HealthCheck = healthCheck,
        };
    }

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "image", "environment", "command", "entrypoint", "deploy", "expose", "ports", "depends_on", "healthcheck",
    };

    /// <summary><c>environment</c> as a mapping (<c>KEY: value</c>) or a list (<c>- KEY=value</c>), within the plain service's limits.</summary>
    private static Dictionary<string, string> ReadEnvironment(YamlNode? node, string path, ProblemList problems)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
            return result;
        var pairs = new List<(string Key, string? Value, string Path)>();
        switch (node)
        {
            case YamlMapping mapping:
                foreach (var (key, value) in mapping.Entries)
                    pairs.Add((key, value is YamlScalar { IsNull: false } scalar ? scalar.Value : null, ProblemList.Join(path, key)));
                break;
            case YamlSequence list:
                for (var i = 0; i < list.Items.Count; i++)
                {
                    var itemPath = $"{path}[{i}]";
                    var text = Scalars.Text(list.Items[i], itemPath, problems, required: true);
                    if (text is null)
                        continue;
                    var split = text.IndexOf('=');
                    pairs.Add(split < 0 ? (text, null, itemPath) : (text[..split], text[(split + 1)..], itemPath));
                }
                break;
            default:
                problems.Add(path, "must be a mapping (KEY: value) or a list of KEY=value.");
                return result;
        }
        if (pairs.Count > ServiceRules.MaxEnvEntries)
        {
            problems.Add(path, $"may have at most {ServiceRules.MaxEnvEntries} variables.");
            return result;
        }
        foreach (var (key, value, at) in pairs)
        {
            if (!ServiceRules.EnvKeyPattern().IsMatch(key))
                problems.Add(at, "names must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters).");
            else if (value is null)
                problems.Add(at, "needs a value: nothing is taken from the host's environment.");
            else if (value.Length > ServiceRules.MaxEnvValueLength || value.Contains('\0'))
                problems.Add(at, $"values must be at most {ServiceRules.MaxEnvValueLength} characters without NUL.");
            else if (!result.TryAdd(key, value))
                problems.Add(at, "is set twice.");
        }
        if (result.Sum(p => p.Key.Length + 1 + p.Value.Length) > ServiceRules.MaxEnvTotalBytes)
            problems.Add(path, $"may total at most {ServiceRules.MaxEnvTotalBytes} characters.");
        return result;
    }

    /// <summary>
    /// <c>command</c> or <c>entrypoint</c>: a list of arguments, or one line split on spaces. A line with quotes or
    /// backslashes is refused rather than guessed at: Compose splits it like a shell, which this subset does not.
    /// </summary>
    private static List<string>? ReadArguments(YamlNode? node, string path, ProblemList problems)
    {
        List<string> arguments;
        switch (node)
        {
            case null:
                return null;
            case YamlScalar { IsNull: false } line:
                if (line.Value.IndexOfAny(['"', '\'', '\\']) >= 0)
                {
                    problems.Add(path, "write it as a list of arguments when it has quotes or backslashes.");
                    return null;
                }
                arguments = [.. line.Value.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)];
                break;
            case YamlSequence list:
                arguments = [];
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (Scalars.Text(list.Items[i], $"{path}[{i}]", problems, required: true) is { } argument)
                        arguments.Add(argument);
                }
                break;
            default:
                problems.Add(path, "must be a list of arguments or one line.");
                return null;
        }
        if (arguments.Count == 0 || arguments.Count > MaxArguments)
            problems.Add(path, $"must have 1 to {MaxArguments} arguments.");
        else if (arguments.Any(a => a.Length > ServiceRules.MaxEnvValueLength || a.Contains('\0')))
            problems.Add(path, $"arguments must be at most {ServiceRules.MaxEnvValueLength} characters without NUL.");
        return arguments;
    }

    /// <summary><c>deploy.resources.limits.memory</c> and <c>.cpus</c>, and nothing else under <c>deploy</c>.</summary>
    private static (string? Memory, double? Cpus) ReadLimits(YamlNode? node, string path, ProblemList problems)
    {
        if (node is null)
            return (null, null);
        var limits = Scalars.Only(node, path, ["resources"], problems)?["resources"] is { } resources
            ? Scalars.Only(resources, ProblemList.Join(path, "resources"), ["limits"], problems)?["limits"]
            : null;
        if (limits is null)
            return (null, null);
        var limitsPath = ProblemList.Join(path, "resources.limits");
        var mapping = Scalars.Only(limits, limitsPath, ["memory", "cpus"], problems);
        if (mapping is null)
            return (null, null);

        var memory = Scalars.Text(mapping["memory"], ProblemList.Join(limitsPath, "memory"), problems, required: false);
        if (memory is not null && !MemorySize.TryParseLimit(memory, out _))
        {
            problems.Add(ProblemList.Join(limitsPath, "memory"), "must be a whole number with an optional unit b, k, m or g (e.g. 128m), between 6m and 1024g.");
            memory = null;
        }
        double? cpus = null;
        if (Scalars.Text(mapping["cpus"], ProblemList.Join(limitsPath, "cpus"), problems, required: false) is { } cpuText)
        {
            if (double.TryParse(cpuText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) &&
                value >= ServiceRules.MinCpus && value <= ServiceRules.MaxCpus)
                cpus = value;
            else
                problems.Add(ProblemList.Join(limitsPath, "cpus"), $"must be a number of cores from {ServiceRules.MinCpus} to {ServiceRules.MaxCpus}.");
        }
        return (memory, cpus);
    }

    /// <summary>
    /// <c>expose</c> or <c>ports</c>: one container port (<c>80</c>, <c>"80"</c>, <c>"80/tcp"</c>). A member listens on one
    /// port; a published one gets its host port from the configured range, so <c>"8080:80"</c> is refused.
    /// </summary>
    private static int? ReadPort(YamlNode? node, string path, ProblemList problems, bool published)
    {
        if (node is null)
            return null;
        if (node is not YamlSequence { Items.Count: 1 } list)
        {
            problems.Add(path, node is YamlSequence { Items.Count: > 1 } ? "a member listens on one port: list exactly one." : "must be a list of one container port.");
            return null;
        }
        var itemPath = $"{path}[0]";
        var text = Scalars.Text(list.Items[0], itemPath, problems, required: true);
        if (text is null)
            return null;
        if (published && text.Contains(':'))
        {
            problems.Add(itemPath, "write only the container port: the host port comes from the configured range and the address is the worker's.");
            return null;
        }
        var match = ContainerPort().Match(text);
        if (!match.Success || !int.TryParse(match.Groups["port"].Value, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problems.Add(itemPath, "must be one TCP port, 1-65535 (e.g. 80 or \"80/tcp\").");
            return null;
        }
        return port;
    }

    [GeneratedRegex(@"^(?<port>[0-9]{1,5})(/tcp)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPort();

    /// <summary><c>depends_on</c> as a list of names, or a mapping of name to <c>{condition: service_started | service_healthy}</c>.</summary>
    private static List<StackDependency> ReadDependencies(YamlNode? node, string path, ProblemList problems)
    {
        var result = new List<StackDependency>();
        switch (node)
        {
            case null:
                break;
            case YamlSequence list:
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (Scalars.Text(list.Items[i], $"{path}[{i}]", problems, required: true) is { } name)
                    {
                        if (result.Any(d => d.Service == name))
                            problems.Add($"{path}[{i}]", "is listed twice.");
                        else
                            result.Add(new StackDependency(name, WaitForHealthy: false));
                    }
                }
                break;
            case YamlMapping mapping:
                foreach (var (name, value) in mapping.Entries)
                {
                    var at = ProblemList.Join(path, name);
                    var condition = Scalars.Only(value, at, ["condition"], problems) is { } options
                        ? Scalars.Text(options["condition"], ProblemList.Join(at, "condition"), problems, required: false) ?? "service_started"
                        : null;
                    if (condition is "service_started" or "service_healthy")
                        result.Add(new StackDependency(name, condition == "service_healthy"));
                    else if (condition is not null)
                        problems.Add(ProblemList.Join(at, "condition"), "must be service_started or service_healthy.");
                }
                break;
            default:
                problems.Add(path, "must be a list of service names or a mapping of name to condition.");
                break;
        }
        return result;
    }
}
