namespace Messaging.Stacks.Templates;

/// <summary>The types a template parameter may have (docs/STACKS.md, "Templates").</summary>
public enum ParameterType
{
    String,
    Int,
    /// <summary>Given by the caller, never shown back (no default allowed).</summary>
    Secret,
    /// <summary>Made by the API when the service is created, shown once in the answer; a caller may not set it.</summary>
    GeneratedSecret,
    Hostname,
    Port,
}

/// <summary>One declared parameter: its type, its default (text, as it is put in), and what it is for.</summary>
public sealed record TemplateParameter(string Name, ParameterType Type, string? Default, string? Description)
{
    /// <summary>Required when the caller must give it: no default, and not generated.</summary>
    public bool Required => Default is null && Type != ParameterType.GeneratedSecret;
}
