using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>The labels on every image a build makes; a Dockerfile's own LABEL lines cannot override them (the engine applies ours last).</summary>
public static class BuildLabels
{
    public const string BuildId = "messaging.build-id";
    public const string Context = "messaging.build-context";
}

/// <summary>How a build on the engine ended.</summary>
public sealed record EngineBuildResult(string? ImageId, string? Error);

/// <summary>
/// The worker's Engine API calls for builds: <c>POST /build</c> (classic builder) with the context's limits, the
/// labels of an image, and removing a context's older images. Transport failures become <c>docker_unavailable</c> and
/// engine refusals <c>docker_error</c>, as for containers.
/// </summary>
public sealed class EngineBuilds(IDockerClient docker, IOptions<DockerOptions> dockerOptions, ILogger<EngineBuilds> logger)
{
    private string Instance => dockerOptions.Value.Instance;

    /// <summary>
    /// Builds <paramref name="context"/>'s tar as <paramref name="tag"/>. Every step runs with the context's memory
    /// (swap equal: none on top), CPU quota and network mode; intermediate containers are always removed. The engine's
    /// error (a failed step) is returned, not thrown; cancelling stops the build (the engine ends it when the request goes).
    /// </summary>
    public async Task<EngineBuildResult> BuildAsync(
        ApprovedBuild build, PackedContext packed, string tag, string owner, BuildLog log, CancellationToken cancellationToken)
    {
        var context = build.Context;
        MemorySize.TryParseLimit(context.Memory, out var memory);
        var parameters = new ImageBuildParameters
        {
            Dockerfile = context.Dockerfile,
            Tags = [tag],
            Memory = memory,
            MemorySwap = memory,
            CPUPeriod = 100_000,
            CPUQuota = (long)Math.Round(context.Cpus * 100_000),
            NetworkMode = context.NetworkMode,
            Remove = true,
            ForceRemove = true,
            NoCache = false,
            Version = "1", // the classic builder: the one that takes these limits on API 1.41
            BuildArgs = build.Args.ToDictionary(),
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "true",
                [ContainerLabels.Instance] = Instance,
                [ContainerLabels.Owner] = owner,
                [BuildLabels.Context] = context.Name,
                [BuildLabels.BuildId] = build.Command.BuildId.ToString("D"),
            },
        };
        string? imageId = null, error = null;
        var progress = new SynchronousProgress(message =>
        {
            if (message.Stream is { Length: > 0 } text)
                log.Append(text);
            if (message.Error?.Message is { Length: > 0 } failure)
                error = failure;
            if (message.Aux?.ExtensionData is { } aux && aux.TryGetValue("ID", out var id) && id?.ToString() is { Length: > 0 } built)
                imageId = built.Trim('"');
        });
        try
        {
            await docker.Images.BuildImageFromDockerfileAsync(parameters, new MemoryStream(packed.Tar), [], new Dictionary<string, string>(), progress, cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.InternalServerError)
        {
            // e.g. a Dockerfile the parser refuses: an error of the build, shown to its owner.
            return new EngineBuildResult(null, Summarize(e.ResponseBody));
        }
        catch (DockerApiException e)
        {
            throw new ContainerRuntimeException(BuildFailureReasons.DockerError, $"The Docker engine answered {(int)e.StatusCode}: {Summarize(e.ResponseBody)}", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested &&
                                  e is HttpRequestException or SocketException or IOException or TimeoutException or TaskCanceledException)
        {
            throw new ContainerRuntimeException(BuildFailureReasons.DockerUnavailable, $"The Docker engine is unreachable: {e.Message}", e);
        }
        if (error is null && imageId is null)
        {
            // Older engines send no aux ID: the tag says which image was made.
            imageId = (await docker.Images.InspectImageAsync(tag, cancellationToken)).ID;
        }
        return new EngineBuildResult(error is null ? imageId : null, error);
    }

    /// <summary>
    /// Removes what a failed or stopped build left: the classic builder commits an image per finished step, and a build
    /// that fails never tags the last one, so without this every failed build leaves its layers on the host for good
    /// (no label marks them: labels go on the final image only). Only an untagged image with nothing built on it goes;
    /// removing it takes its untagged parents with it unless something else uses them, so a base image, a step that a
    /// successful build shares as cache, and any image a container runs stay. Failures are logged, never thrown.
    /// </summary>
    public async Task RemoveLeftoversAsync(string? lastStepImage, CancellationToken cancellationToken)
    {
        if (lastStepImage is null)
            return;
        try
        {
            var image = await docker.Images.InspectImageAsync(lastStepImage, cancellationToken);
            if (image.RepoTags is { Count: > 0 } tags && tags.Any(t => t != "<none>:<none>"))
                return; // a tagged image (the FROM image when the first step after it failed): someone's, not ours
            // The engine removes the failed step's container (forcerm) after it has streamed the error, so the first
            // attempts can meet that container still holding the image: a conflict, tried again for a few seconds.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = false }, cancellationToken);
                    break;
                }
                catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict && attempt < 20)
                {
                    await Task.Delay(250, cancellationToken);
                }
            }
            logger.LogInformation("Removed the layers a failed build left, from {ImageId}", image.ID);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or SocketException or IOException)
        {
            // Children (a later build reused the step as cache) or a container using it: it stays, and is no leak.
            logger.LogInformation("Layers of a failed build from {ImageId} kept: {Reason}", lastStepImage,
                e is DockerApiException api ? Summarize(api.ResponseBody) : e.Message);
        }
    }

    /// <summary>The image a finished step committed or reused, from the classic builder's " ---> 3b2c1a0f9e8d" log line.</summary>
    public static string? StepImageOf(string line) => StepImage.Match(line) is { Success: true } step ? step.Groups[1].Value : null;

    private static readonly Regex StepImage = new(@"^\s*---> ([0-9a-f]{12,64})\s*$", RegexOptions.CultureInvariant);

    /// <summary>The labels of a local image, or null when the engine has no such image.</summary>
    public async Task<IDictionary<string, string>?> LabelsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await docker.Images.InspectImageAsync(image, cancellationToken);
            return inspected.Config?.Labels ?? new Dictionary<string, string>();
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes a context's images beyond the newest <paramref name="keep"/> (of this installation). An image a container
    /// still uses is left (the engine refuses, and that is logged): pruning never breaks a running service. Removing an
    /// image also removes its untagged parent layers, the classic builder's cache of it, so the cache stays bounded too.
    /// </summary>
    public async Task<int> PruneAsync(string context, int keep, CancellationToken cancellationToken)
    {
        var images = await docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{ContainerLabels.Instance}={Instance}"] = true,
                    [$"{BuildLabels.Context}={context}"] = true,
                },
            },
        }, cancellationToken);
        var removed = 0;
        foreach (var image in images.OrderByDescending(i => i.Created).Skip(keep))
        {
            try
            {
                await docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = false }, cancellationToken);
                removed++;
            }
            catch (DockerApiException e)
            {
                logger.LogInformation("Old build image {ImageId} of {Context} kept: {Reason}", image.ID, context, Summarize(e.ResponseBody));
            }
        }
        return removed;
    }

    private static string Summarize(string? body) => string.IsNullOrWhiteSpace(body) ? "no details" : body.Trim();

    // Progress<T> posts to the thread pool, so lines could arrive out of order and after the call returned.
    private sealed class SynchronousProgress(Action<JSONMessage> report) : IProgress<JSONMessage>
    {
        public void Report(JSONMessage value) => report(value);
    }
}
