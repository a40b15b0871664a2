using Messaging.Stacks.Templates;
using Messaging.State.Templates;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Templates;

/// <summary>
/// The templates users may create services from: every <c>*.yml</c> of <see cref="TemplateOptions.Directory"/>, read
/// once at start, and the templates admins added through the API (<see cref="TemplateStore"/>). A file that is not a
/// valid template stops the API at start (<see cref="Problems"/>), like a bad allowlist entry stops the worker: a
/// catalogue that silently lost an entry would surprise its users later. Stored templates were checked when added.
/// </summary>
public sealed class TemplateCatalogue(IOptions<TemplateOptions> options, TemplateStore? store = null)
{
    private readonly IReadOnlyList<StackTemplate> _files = Load(options.Value.FullPath()).Templates;

    /// <summary>Whether a template comes from the catalogue's files (the operator's: the API cannot delete it).</summary>
    public bool IsFile(string name, int version) => _files.Any(t => t.Name == name && t.Version == version);

    /// <summary>Every template, files and stored, by name, then newest version first.</summary>
    public async Task<IReadOnlyList<StackTemplate>> AllAsync()
    {
        var stored = store is null ? [] : (await store.AllAsync()).Select(text => StackTemplate.Parse(text).Template).OfType<StackTemplate>();
        return [.. _files.Concat(stored).OrderBy(t => t.Name, StringComparer.Ordinal).ThenByDescending(t => t.Version)];
    }

    /// <summary>The template <paramref name="name"/> at <paramref name="version"/>, or its newest version; null when there is none.</summary>
    public async Task<StackTemplate?> FindAsync(string name, int? version) =>
        (await AllAsync()).FirstOrDefault(t => t.Name == name && (version is null || t.Version == version));

    public static (IReadOnlyList<StackTemplate> Templates, IReadOnlyList<string> Problems) Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            return ([], [$"{TemplateOptions.Section}:Directory '{directory}' does not exist."]);
        var templates = new List<StackTemplate>();
        var problems = new List<string>();
        foreach (var file in System.IO.Directory.GetFiles(directory, "*.yml").Order(StringComparer.Ordinal))
        {
            var (template, found) = StackTemplate.Parse(File.ReadAllText(file));
            if (template is null)
                problems.AddRange(found.Select(p => $"{Path.GetFileName(file)}: {p}"));
            else if (templates.Any(t => t.Name == template.Name && t.Version == template.Version))
                problems.Add($"{Path.GetFileName(file)}: {template.Name} version {template.Version} is defined twice.");
            else
                templates.Add(template);
        }
        return ([.. templates.OrderBy(t => t.Name, StringComparer.Ordinal).ThenByDescending(t => t.Version)], problems);
    }

    /// <summary>Why the configured catalogue cannot be used; empty when it can.</summary>
    public static IReadOnlyList<string> Problems(TemplateOptions options) => Load(options.FullPath()).Problems;
}
