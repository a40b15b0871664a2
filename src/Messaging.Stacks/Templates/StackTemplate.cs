using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Stacks.Compose;
using Messaging.Stacks.Yaml;
using Messaging.Validation;

namespace Messaging.Stacks.Templates;

/// <summary>
/// What a template made: the stack, the same as a compose file (<see cref="ComposeFile"/>, for <c>CreateStack</c>; it holds
/// the parameters' values, generated secrets included), and the generated secrets to show the caller once (never
/// stored by the API).
/// </summary>
public sealed record RenderedTemplate(StackDefinition Definition, IReadOnlyDictionary<string, string> Generated)
{
    public string ComposeFile { get; init; } = "";
}

/// <summary>
/// A stack file with typed parameters, declared under the extension key <c>x-template</c> (docs/STACKS.md,
/// "Templates"). Parameters are put into the file's values after it is parsed, never into its text, so a value
/// cannot add keys (a parameter holding <c>"\n    privileged: true"</c> stays one string).
/// </summary>
public sealed partial class StackTemplate
{
    public const string HeaderKey = "x-template";
    public const int MaxParameters = 32;
    public const int MaxVersion = 1_000_000;

    private readonly YamlNode _root;

    private StackTemplate(string name, int version, string? description, IReadOnlyList<TemplateParameter> parameters, string text, YamlNode root)
    {
        Name = name;
        Version = version;
        Description = description;
        Parameters = parameters;
        Text = text;
        _root = root;
    }

    public string Name { get; }
    public int Version { get; }
    public string? Description { get; }
    public IReadOnlyList<TemplateParameter> Parameters { get; }

    /// <summary>The names of the services it makes.</summary>
    public IReadOnlyList<string> Services { get; private set; } = [];

    /// <summary>The images its services run, as rendered with each parameter's default (a sample value where it has none).</summary>
    public IReadOnlyList<string> Images { get; private set; } = [];

    /// <summary>The file as it was given.</summary>
    public string Text { get; }

    /// <summary>Reads and checks a template: its header, and that it renders to a valid stack with sample values.</summary>
    public static (StackTemplate? Template, IReadOnlyList<StackProblem> Problems) Parse(string text)
    {
        YamlNode root;
        try
        {
            root = BoundedYamlReader.Read(text);
        }
        catch (YamlFileException e)
        {
            return (null, [new StackProblem(e.Path, e.Message)]);
        }
        var problems = new ProblemList();
        if (root is not YamlMapping { } file || file[HeaderKey] is not YamlMapping header)
            return (null, [new StackProblem(HeaderKey, "a template declares its name, version and params under x-template.")]);

        var template = ReadHeader(header, text, root, problems);
        if (template is null || problems.Count > 0)
            return (null, problems.Items);
        var samples = template.Parameters.Where(p => p.Type != ParameterType.GeneratedSecret)
            .ToDictionary(p => p.Name, p => p.Default ?? Sample(p.Type));
        var (rendered, renderProblems) = template.Render(samples);
        if (rendered is null)
            return (null, renderProblems);
        template.Services = [.. rendered.Definition.Members.Select(m => m.Name)];
        template.Images = [.. rendered.Definition.Members.Select(m => m.Image).Distinct(StringComparer.Ordinal)];
        return (template, []);
    }

    /// <summary>The stack with <paramref name="values"/> put in (defaults for the rest, secrets generated), or why not.</summary>
    public (RenderedTemplate? Rendered, IReadOnlyList<StackProblem> Problems) Render(IReadOnlyDictionary<string, string>? values)
    {
        values ??= new Dictionary<string, string>();
        var problems = new ProblemList();
        foreach (var name in values.Keys.Where(k => Parameters.All(p => p.Name != k)))
            problems.Add($"params.{name}", "is not a parameter of this template.");
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var generated = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in Parameters)
        {
            var path = $"params.{parameter.Name}";
            if (parameter.Type == ParameterType.GeneratedSecret)
            {
                if (values.ContainsKey(parameter.Name))
                    problems.Add(path, "is generated; it cannot be given.");
                resolved[parameter.Name] = generated[parameter.Name] = ParameterValues.Generate();
            }
            else if (values.TryGetValue(parameter.Name, out var value) || (value = parameter.Default) is not null)
            {
                if (ParameterValues.Problem(parameter.Type, value) is { } why)
                    problems.Add(path, why);
                resolved[parameter.Name] = value;
            }
            else
                problems.Add(path, "is required.");
        }
        if (problems.Count > 0)
            return (null, problems.Items);

        var filled = Substitute(_root, "", resolved, problems);
        if (problems.Count > 0)
            return (null, problems.Items);
        var result = ComposeSubset.Parse(filled);
        return result.Definition is null
            ? (null, result.Problems)
            : (new RenderedTemplate(result.Definition, generated) { ComposeFile = YamlWriter.Write(filled) }, []);
    }

    private static StackTemplate? ReadHeader(YamlMapping header, string text, YamlNode root, ProblemList problems)
    {
        var at = HeaderKey;
        Scalars.Only(header, at, ["name", "version", "description", "params"], problems);
        var name = Scalars.Text(header["name"], $"{at}.name", problems, required: true);
        if (name is not null && !ServiceRules.ServiceNamePattern().IsMatch(name))
            problems.Add($"{at}.name", "must be 2-63 characters of a-z, 0-9 and '-'.");
        var versionText = Scalars.Text(header["version"], $"{at}.version", problems, required: true);
        var version = 0;
        if (versionText is not null && (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version is < 1 or > MaxVersion))
            problems.Add($"{at}.version", $"must be a whole number from 1 to {MaxVersion}.");
        var description = Scalars.Text(header["description"], $"{at}.description", problems, required: false);
        if (description is { Length: > 1000 })
            problems.Add($"{at}.description", "may be at most 1000 characters.");
        var parameters = ReadParameters(header["params"], $"{at}.params", problems);
        return name is null || problems.Count > 0 ? null : new StackTemplate(name, version, description, parameters, text, root);
    }

    private static List<TemplateParameter> ReadParameters(YamlNode? node, string path, ProblemList problems)
    {
        var result = new List<TemplateParameter>();
        if (node is null)
            return result;
        if (node is not YamlMapping mapping || mapping.Entries.Count > MaxParameters)
        {
            problems.Add(path, $"must be a mapping of at most {MaxParameters} parameters.");
            return result;
        }
        foreach (var (name, value) in mapping.Entries)
        {
            var at = ProblemList.Join(path, name);
            if (!ParameterName().IsMatch(name))
                problems.Add(at, "names are a-z, 0-9 and '_', starting with a letter or '_'.");
            if (Scalars.Only(value, at, ["type", "default", "description"], problems) is not { } declared)
                continue;
            var typeText = Scalars.Text(declared["type"], $"{at}.type", problems, required: true);
            if (typeText is null)
                continue;
            if (!Types.TryGetValue(typeText, out var type))
            {
                problems.Add($"{at}.type", $"must be one of {string.Join(", ", Types.Keys)}.");
                continue;
            }
            var fallback = Scalars.Text(declared["default"], $"{at}.default", problems, required: false);
            if (fallback is not null && type is ParameterType.Secret or ParameterType.GeneratedSecret)
                problems.Add($"{at}.default", "a secret has no default: it would be the same in every service made from the template.");
            else if (fallback is not null && ParameterValues.Problem(type, fallback) is { } why)
                problems.Add($"{at}.default", why);
            result.Add(new TemplateParameter(name, type, fallback, Scalars.Text(declared["description"], $"{at}.description", problems, required: false)));
        }
        return result;
    }

    private static readonly Dictionary<string, ParameterType> Types = new(StringComparer.Ordinal)
    {
        ["string"] = ParameterType.String,
        ["int"] = ParameterType.Int,
        ["secret"] = ParameterType.Secret,
        ["generated_secret"] = ParameterType.GeneratedSecret,
        ["hostname"] = ParameterType.Hostname,
        ["port"] = ParameterType.Port,
    };

    private static string Sample(ParameterType type) => type switch
    {
        ParameterType.Int => "1",
        ParameterType.Port => "80",
        ParameterType.Hostname => "example.test",
        _ => "x",
    };

    /// <summary>
    /// A copy of the tree with <c>${name}</c> in values replaced (<c>$$</c> is a plain <c>$</c>); keys are left alone,
    /// and the header is dropped. Depth is bounded by the reader (32), so recursion here is bounded too.
    /// </summary>
    private static YamlNode Substitute(YamlNode node, string path, IReadOnlyDictionary<string, string> values, ProblemList problems) => node switch
    {
        YamlScalar scalar when scalar.Value.Contains('$') => scalar with
        {
            Value = Reference().Replace(scalar.Value, m => m.Value == "$$" ? "$"
                : values.TryGetValue(m.Groups["name"].Value, out var value) ? value
                : Unknown(m.Value, path, problems)),
            Quoted = true, // what was put in is text: an empty value is "", not YAML's null
        },
        YamlSequence list => list with { Items = [.. list.Items.Select((item, i) => Substitute(item, $"{path}[{i}]", values, problems))] },
        YamlMapping mapping => mapping with
        {
            Entries = [.. mapping.Entries.Where(e => path.Length > 0 || e.Key != HeaderKey)
                .Select(e => new KeyValuePair<string, YamlNode>(e.Key, Substitute(e.Value, ProblemList.Join(path, e.Key), values, problems)))],
        },
        _ => node,
    };

    private static string Unknown(string reference, string path, ProblemList problems)
    {
        problems.Add(path, $"{reference} names no parameter of this template (write $$ for a plain $).");
        return "";
    }

    [GeneratedRegex(@"\$\$|\$\{(?<name>[^}]{0,64})\}|\$", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();
}
