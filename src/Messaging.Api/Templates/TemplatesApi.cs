using FluentValidation;
using Messaging.Stacks.Templates;
using Messaging.State.Templates;

namespace Messaging.Api.Templates;

public static class TemplatesApi
{
    /// <summary>
    /// Maps <c>/templates</c>: reading needs <c>services:read</c>; adding and deleting templates needs <c>admin</c>. The
    /// catalogue is the files of <c>Templates:Directory</c> plus the templates added here; a name and version is
    /// immutable once added (a change is a new version), so what users created from a version stays what it says.
    /// </summary>
    public static RouteGroupBuilder MapTemplatesApi(this RouteGroupBuilder api)
    {
        var templates = api.MapGroup("/templates").WithTags("Templates");
        var reads = templates.MapGroup("").RequireAuthorization(Scopes.ServicesRead);
        var admin = templates.MapGroup("").RequireAuthorization(Scopes.Admin);
        reads.MapGet("/", List).WithName("ListTemplates").WithSummary("The template catalogue: every template and version, with its parameters.");
        reads.MapGet("/{name}", Get).WithName("GetTemplate").WithSummary("A template's newest version (?version=N for another), with its file.")
            .ProducesProblem(404);
        admin.MapPost("/", Add).WithName("AddTemplate").WithSummary("Add a template version (admin); the file carries its name and version in x-template.")
            .ProducesProblem(400).ProducesProblem(409);
        admin.MapDelete("/{name}", Delete).WithName("DeleteTemplate").WithSummary("Delete a template version added through the API (admin).")
            .ProducesProblem(404).ProducesProblem(409);
        // "Save this service as a template": on the services path, but it adds to the catalogue, so admin only.
        api.MapGroup("/services").WithTags("Templates").RequireAuthorization(Scopes.Admin)
            .MapPost("/{serviceId:guid}/template", SaveAsTemplate.Handle).WithName("SaveServiceAsTemplate")
            .WithSummary("Add a template version that makes services like this one (image, limits, port; not its env).")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        return templates;
    }

    private static async Task<Ok<TemplateView[]>> List(TemplateCatalogue catalogue) =>
        TypedResults.Ok((await catalogue.AllAsync()).Select(t => TemplateView.Of(t, withContent: false)).ToArray());

    private static async Task<Results<Ok<TemplateView>, ProblemHttpResult>> Get(string name, int? version, TemplateCatalogue catalogue) =>
        await catalogue.FindAsync(name, version) is { } template
            ? TypedResults.Ok(TemplateView.Of(template, withContent: true))
            : Problems.TemplateNotFound(name, version);

    private static async Task<Results<Created<TemplateView>, ProblemHttpResult>> Add(
        Validated<AddTemplateRequest> request, TemplateCatalogue catalogue, TemplateStore store)
    {
        // The same checks as a file of the catalogue: the header, the params, and a render with sample values.
        var (template, problems) = StackTemplate.Parse(request.Value.Content!);
        if (template is null)
            return Problems.TemplateRefused([.. problems.Select(p => (p.Path, p.Message))]);
        if (await catalogue.FindAsync(template.Name, template.Version) is not null || !await store.TryAddAsync(template.Name, template.Version, template.Text))
            return Problems.TemplateVersionExists(template.Name, template.Version);
        return TypedResults.Created($"/api/v1/templates/{template.Name}?version={template.Version}", TemplateView.Of(template, withContent: true));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, int version, TemplateCatalogue catalogue, TemplateStore store)
    {
        if (catalogue.IsFile(name, version))
            return Problems.TemplateIsAFile(name, version);
        return await store.RemoveAsync(name, version) ? TypedResults.NoContent() : Problems.TemplateNotFound(name, version);
    }
}

/// <summary>Body of <c>POST /api/v1/templates</c>: the template file (docs/STACKS.md, "Templates").</summary>
public sealed record AddTemplateRequest
{
    public string? Content { get; init; }
}

public sealed class AddTemplateRequestValidator : AbstractValidator<AddTemplateRequest>
{
    public AddTemplateRequestValidator() => RuleFor(r => r.Content).NotEmpty().WithMessage("must hold the template file.");
}
