namespace Messaging.Api.Templates;

public static class TemplatesApi
{
    /// <summary>Maps <c>/templates</c> (read-only: the catalogue is the files of <c>Templates:Directory</c>).</summary>
    public static RouteGroupBuilder MapTemplatesApi(this RouteGroupBuilder api)
    {
        var templates = api.MapGroup("/templates").WithTags("Templates").RequireAuthorization(Scopes.ServicesRead);
        templates.MapGet("/", List).WithName("ListTemplates").WithSummary("The template catalogue: every template and version, with its parameters.");
        templates.MapGet("/{name}", Get).WithName("GetTemplate").WithSummary("A template's newest version (?version=N for another), with its file.")
            .ProducesProblem(404);
        return templates;
    }

    private static Ok<TemplateView[]> List(TemplateCatalogue catalogue) =>
        TypedResults.Ok(catalogue.All.Select(t => TemplateView.Of(t, withContent: false)).ToArray());

    private static Results<Ok<TemplateView>, ProblemHttpResult> Get(string name, int? version, TemplateCatalogue catalogue) =>
        catalogue.Find(name, version) is { } template
            ? TypedResults.Ok(TemplateView.Of(template, withContent: true))
            : Problems.TemplateNotFound(name, version);
}
