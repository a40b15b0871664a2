namespace Messaging.Api.Templates;

/// <summary>Where the template catalogue is read from. Section <c>Templates</c>.</summary>
public sealed class TemplateOptions
{
    public const string Section = "Templates";

    /// <summary>A folder of template files (<c>*.yml</c>); relative paths are taken from the API's own folder.</summary>
    public string Directory { get; set; } = "templates";

    public string FullPath() => Path.GetFullPath(Directory, AppContext.BaseDirectory);
}

/// <summary>Stops the API at start when a template file is invalid, naming the file and the path in it.</summary>
public sealed class TemplateOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<TemplateOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, TemplateOptions options) =>
        TemplateCatalogue.Problems(options) is { Count: > 0 } problems
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
