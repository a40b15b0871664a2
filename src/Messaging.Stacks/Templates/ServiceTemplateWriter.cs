using System.Globalization;
using Messaging.Stacks.Yaml;

namespace Messaging.Stacks.Templates;

/// <summary>
/// "Save a service as a template": the one-service template file that makes a service like an existing one (its
/// image, limits and port), written with YamlDotNet's emitter. Its environment is left out on purpose: it may hold
/// secrets, and a template is readable by every user of the catalogue.
/// </summary>
public static class ServiceTemplateWriter
{
    public static string Write(string name, int version, string? description, string service, string image, string? memoryLimit, double? cpus, int? internalPort)
    {
        var header = new List<KeyValuePair<string, YamlNode>>
        {
            new("name", Text(name)),
            new("version", new YamlScalar(version.ToString(CultureInfo.InvariantCulture), false, 0)),
        };
        if (!string.IsNullOrEmpty(description))
            header.Add(new("description", Text(description)));

        var member = new List<KeyValuePair<string, YamlNode>> { new("image", Text(image)) };
        var limits = new List<KeyValuePair<string, YamlNode>>();
        if (!string.IsNullOrEmpty(memoryLimit))
            limits.Add(new("memory", Text(memoryLimit)));
        if (cpus is > 0)
            limits.Add(new("cpus", Text(cpus.Value.ToString("R", CultureInfo.InvariantCulture))));
        if (limits.Count > 0)
            member.Add(new("deploy", Map(new("resources", Map(new("limits", new YamlMapping(limits, 0)))))));
        if (internalPort is { } port)
            member.Add(new("ports", new YamlSequence([Text(port.ToString(CultureInfo.InvariantCulture))], 0)));

        var file = new YamlMapping(
        [
            new(StackTemplate.HeaderKey, new YamlMapping(header, 0)),
            new("services", Map(new(service, new YamlMapping(member, 0)))),
        ], 0);
        return YamlWriter.Write(file);
    }

    private static YamlScalar Text(string value) => new(value, true, 0);

    private static YamlMapping Map(KeyValuePair<string, YamlNode> entry) => new([entry], 0);
}
