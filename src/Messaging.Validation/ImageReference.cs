using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Messaging.Validation;

/// <summary>
/// A parsed Docker image reference, normalised the way the engine does it, so that
/// <c>nginx:alpine</c> and <c>docker.io/library/nginx:alpine</c> are the same image.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const int MaxLength = 255;
    private const string DefaultRegistry = "docker.io";

    /// <summary>Canonical form: registry/repository[:tag][@digest], tag defaulting to latest without a digest.</summary>
    public string Canonical =>
        $"{Registry}/{Repository}" + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>The same reference without its digest: what an allowlist entry names.</summary>
    public string CanonicalWithoutDigest => $"{Registry}/{Repository}" + (Tag is null ? "" : ":" + Tag);

    public override string ToString() => Canonical;

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference)
    {
        reference = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
            return false;
        var match = ReferencePattern().Match(text);
        if (!match.Success)
            return false;

        var name = match.Groups["name"].Value;
        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;

        string registry = DefaultRegistry, repository = name;
        var slash = name.IndexOf('/');
        if (slash > 0)
        {
            var first = name[..slash];
            // Docker's rule: the first component is a registry when it looks like a host.
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                repository = name[(slash + 1)..];
            }
        }
        registry = registry.ToLowerInvariant(); // host names are case-insensitive; repositories are not
        if (registry is "index.docker.io" or "registry-1.docker.io")
            registry = DefaultRegistry;
        if (registry == DefaultRegistry && !repository.Contains('/'))
            repository = "library/" + repository;
        if (tag is null && digest is null)
            tag = "latest";
        if (!RepositoryPattern().IsMatch(repository))
            return false;

        reference = new ImageReference(registry, repository, tag, digest);
        return true;
    }

    // Host (with optional port) or path components, an optional tag, an optional sha256 digest.
    [GeneratedRegex(@"^(?<name>(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();
}
