using FluentValidation;
using Messaging.Stacks.Templates;
using Messaging.State;
using Messaging.State.Templates;
using Messaging.Validation;

namespace Messaging.Api.Templates;

/// <summary>
/// <c>POST /api/v1/services/{id}/template</c> (admin): adds a template version that makes services like this one
/// (image, limits, port; never its environment, which may hold secrets). Checked and stored like any added template.
/// </summary>
public static class SaveAsTemplate
{
    public static async Task<Results<Created<TemplateView>, ProblemHttpResult>> Handle(
        Guid serviceId, Validated<SaveAsTemplateRequest> request, ClaimsPrincipal user, ServiceRecordStore records,
        TemplateCatalogue catalogue, TemplateStore store)
    {
        if (await records.FindVisibleAsync(serviceId, user) is not { } record)
            return Problems.ServiceNotFound(serviceId);
        var body = request.Value;
        var version = body.Version ?? 1;
        var text = ServiceTemplateWriter.Write(body.Name!, version, body.Description, "web", record.Image,
            record.MemoryLimit, record.CpuLimit, record.InternalPort);
        var (template, problems) = StackTemplate.Parse(text);
        if (template is null)
            return Problems.TemplateRefused([.. problems.Select(p => (p.Path, p.Message))]);
        if (await catalogue.FindAsync(template.Name, template.Version) is not null || !await store.TryAddAsync(template.Name, template.Version, template.Text))
            return Problems.TemplateVersionExists(template.Name, template.Version);
        return TypedResults.Created($"/api/v1/templates/{template.Name}?version={template.Version}", TemplateView.Of(template, withContent: true));
    }
}

/// <summary>Body of <c>POST /api/v1/services/{id}/template</c>: the new template's name, version (1 when absent) and description.</summary>
public sealed record SaveAsTemplateRequest
{
    public string? Name { get; init; }
    public int? Version { get; init; }
    public string? Description { get; init; }
}

public sealed class SaveAsTemplateRequestValidator : AbstractValidator<SaveAsTemplateRequest>
{
    public SaveAsTemplateRequestValidator()
    {
        RuleFor(r => r.Name).MustBeServiceName();
        RuleFor(r => r.Version).InclusiveBetween(1, StackTemplate.MaxVersion).When(r => r.Version is not null);
        RuleFor(r => r.Description).MaximumLength(1000);
    }
}
