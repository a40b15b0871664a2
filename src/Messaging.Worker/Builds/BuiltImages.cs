using System.Security.Cryptography;
using System.Text;
using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>
/// Images made by builds, as the allowlist sees them. A built image is named <c>{Namespace}/{instance}/{context}:{hash}</c>;
/// its context's <see cref="BuildContextOptions.Run"/> is its allowlist entry (caps, user, health...), and only the owner
/// it was built for may run it. The owner is read from the image's own labels on the engine (set by the build call,
/// which a Dockerfile's LABEL cannot override), so nothing in Redis can hand an image to someone else.
/// </summary>
public sealed class BuiltImages(IOptions<BuildOptions> builds, IOptions<DockerOptions> docker, EngineBuilds? engine = null)
{
    private string Prefix => $"{builds.Value.Namespace}/{docker.Value.Instance}/";

    /// <summary>The repository of a context's images (without the tag).</summary>
    public string RepositoryOf(string context) => Prefix + context;

    /// <summary>
    /// The tag of a build: the context's content digest, its Dockerfile, the arguments and the owner, hashed. The same
    /// build by the same owner gets the same tag; another owner's identical build gets its own image.
    /// </summary>
    public string TagFor(ApprovedBuild build, PackedContext packed, string owner)
    {
        var text = new StringBuilder(packed.ContentDigest).Append('\0').Append(build.Context.Dockerfile).Append('\0').Append(owner);
        foreach (var (name, value) in build.Args.OrderBy(a => a.Key, StringComparer.Ordinal))
            text.Append('\0').Append(name).Append('=').Append(value);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..20];
        return $"{RepositoryOf(build.Context.Name)}:{hash}";
    }

    /// <summary>The allowlist entry of a built image's reference (its context's run entry), or null when it is not one.</summary>
    public AllowedImage? EntryFor(ImageReference reference)
    {
        if (reference.Registry != "docker.io" || reference.Tag is null || reference.Digest is not null ||
            !reference.Repository.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var contextName = reference.Repository[Prefix.Length..];
        return builds.Value.Find(contextName) is { } context ? context.RunEntry($"{reference.Repository}:{reference.Tag}") : null;
    }

    /// <summary>Whether an image (as the policy approved it) is a built one.</summary>
    public bool IsBuilt(string image) => ImageReference.TryParse(image, out var reference) && EntryFor(reference) is not null;

    /// <summary>
    /// Null when <paramref name="owner"/> may run <paramref name="image"/>: it is not a built image, or the engine's copy
    /// of it says it was built for this owner in this installation. Otherwise the refusal (the same message whether the
    /// image is missing or another owner's, so nobody learns what others built).
    /// </summary>
    public async Task<Refusal?> RefusalAsync(string image, string owner, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(image, out var reference) || EntryFor(reference) is null)
            return null;
        var labels = engine is null ? null : await engine.LabelsAsync($"{reference.Repository}:{reference.Tag}", cancellationToken);
        var contextName = reference.Repository[Prefix.Length..];
        if (labels is not null &&
            labels.TryGetValue(ContainerLabels.Owner, out var builtFor) && builtFor == owner &&
            labels.TryGetValue(ContainerLabels.Instance, out var instance) && instance == docker.Value.Instance &&
            labels.TryGetValue(BuildLabels.Context, out var builtFrom) && builtFrom == contextName)
            return null;
        return new Refusal(FailureReasons.ImageNotAllowed, $"Image '{image}' is not on the allowlist, and is no image built for '{owner}'.");
    }
}
