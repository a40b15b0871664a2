using Messaging.Stacks.Templates;

namespace Messaging.Api.Templates;

/// <summary>
/// A template as <c>GET /api/v1/templates</c> shows it; <c>content</c> only for a single template. <c>images</c>: what its
/// services run, rendered with the parameters' defaults (their caps: <c>GET /api/v1/images</c>).
/// </summary>
public sealed record TemplateView(string Name, int Version, string? Description, IReadOnlyList<ParameterView> Params, IReadOnlyList<string> Services,
    IReadOnlyList<string> Images, string? Content)
{
    public static TemplateView Of(StackTemplate template, bool withContent) => new(
        template.Name, template.Version, template.Description,
        [.. template.Parameters.Select(p => new ParameterView(p.Name, TypeName(p.Type), p.Default, p.Required, p.Description))],
        [.. template.Services],
        [.. template.Images],
        withContent ? template.Text : null);

    private static string TypeName(ParameterType type) => type switch
    {
        ParameterType.GeneratedSecret => "generated_secret",
        _ => type.ToString().ToLowerInvariant(),
    };
}

public sealed record ParameterView(string Name, string Type, string? Default, bool Required, string? Description);
