using System.Text.RegularExpressions;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// The runtime settings (<c>DOTNET_*</c> variables) a service's image sets with <c>ENV</c>, read from its
/// Dockerfile, so the benchmark starts each process as it ships (the GC's gen0 budget, say) without a
/// second copy of those values here. <c>DOTNET_RUNNING_IN_CONTAINER</c> is a fact about containers, not a
/// setting, and is left out.
/// </summary>
public static partial class ShippedRuntimeSettings
{
    public static IReadOnlyDictionary<string, string> Of(string repoRoot, string project)
    {
        var image = project switch
        {
            "Messaging.Api" => "Dockerfile.api",
            "Messaging.Worker" => "Dockerfile.worker",
            "Messaging.Audit" => "Dockerfile.audit",
            // The edge host has no image yet (it runs from infra/run.sh): it starts with the runtime's defaults.
            "Messaging.Edge" => null,
            _ => throw new ArgumentException($"No Dockerfile for {project}.", nameof(project)),
        };
        if (image is null)
            return new Dictionary<string, string>();
        var dockerfile = Path.Combine(repoRoot, image);
        return DotnetVariable().Matches(File.ReadAllText(dockerfile))
            .Select(m => (Name: m.Groups["name"].Value, Value: m.Groups["value"].Value))
            .Where(v => v.Name != "DOTNET_RUNNING_IN_CONTAINER")
            .ToDictionary(v => v.Name, v => v.Value);
    }

    // NAME=value inside ENV instructions (also on their continuation lines); values here have no spaces.
    [GeneratedRegex(@"^(?:ENV\s+|\s+)(?<name>DOTNET_[A-Za-z0-9_]+)=(?<value>[^\s\\]+)", RegexOptions.Multiline)]
    private static partial Regex DotnetVariable();
}
