using Messaging.Api.Services;

namespace Messaging.Api.Templates;

/// <summary>
/// Turns <c>{"service_name", "template", "version", "params"}</c> into the plain create body the template describes.
/// Only one-service templates whose member a plain service can carry: <c>command</c>, <c>entrypoint</c>, health
/// checks and dependencies are refused rather than run without them (a stack, <c>POST /api/v1/stacks</c>, carries
/// health checks and dependencies).
/// </summary>
public static class ServiceFromTemplate
{
    public static async Task<(CreateServiceRequest? Body, ProblemHttpResult? Refusal, IReadOnlyDictionary<string, string>? Generated)> ExpandAsync(
        CreateServiceRequest body, TemplateCatalogue catalogue)
    {
        if (await catalogue.FindAsync(body.Template!, body.Version) is not { } template)
            return (null, Problems.TemplateNotFound(body.Template!, body.Version), null);
        var (rendered, problems) = template.Render(body.Params);
        if (rendered is null)
            return (null, Problems.TemplateRefused([.. problems.Select(p => (p.Path, p.Message))]), null);
        if (rendered.Definition.Members is not [var member])
            return (null, Refused("template", $"{template.Name} makes {rendered.Definition.Members.Count} services: it is a stack template: POST it to /api/v1/stacks."), null);
        if (member.Command is not null || member.Entrypoint is not null || member.HealthCheck is not null)
            return (null, Refused("template", $"{template.Name} sets command, entrypoint or healthcheck, which a single service cannot carry yet."), null);

        var expanded = body with
        {
            Image = member.Image,
            MemoryLimit = member.MemoryLimit,
            CpuLimit = member.CpuLimit,
            InternalPort = member.InternalPort,
            Env = member.Environment.Count == 0 ? null : member.Environment,
        };
        return (expanded, null, rendered.Generated.Count == 0 ? null : rendered.Generated);
    }

    private static ProblemHttpResult Refused(string path, string message) => Problems.TemplateRefused([(path, message)]);
}
