using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>A member container as the engine lists it.</summary>
public sealed record MemberContainer(string Id, string Name, Guid MemberId, string Pool, bool Running, int? HostPort, DateTimeOffset Created);

/// <summary>
/// The engine calls of the pools. Members are not services (they carry no service id), so the runtime's calls, which
/// act only on a service's own container, are not for them; the create request is still made by
/// <see cref="DockerCreateParameters"/> from a spec of the one <see cref="ContainerSpecBuilder"/>, like every container.
/// Engine errors come out as <see cref="ContainerRuntimeException"/> like the runtime's.
/// </summary>
public sealed class PoolEngine(IDockerClient docker, IOptions<DockerOptions> options)
{
    private string Instance => options.Value.Instance;

    public Task<string> CreateAsync(Containers.ContainerSpec spec, CancellationToken cancellationToken) =>
        Call(async () => (await docker.Containers.CreateContainerAsync(DockerCreateParameters.From(spec), cancellationToken)).ID);

    public Task StartAsync(string containerId, CancellationToken cancellationToken) =>
        Call(() => docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken));

    /// <summary>Gives a claimed member its service's container name. A conflict (the name is another container's) throws.</summary>
    public Task RenameAsync(string containerId, string name, CancellationToken cancellationToken) =>
        Call(() => docker.Containers.RenameContainerAsync(containerId, new ContainerRenameParameters { NewName = name }, cancellationToken));

    /// <summary>Applies a service's limits to a running member: memory (swap equal: none on top), CPUs, pids.</summary>
    public Task UpdateLimitsAsync(string containerId, long memoryBytes, long nanoCpus, long pidsLimit, CancellationToken cancellationToken) =>
        Call(() => docker.Containers.UpdateContainerAsync(containerId, new ContainerUpdateParameters
        {
            Memory = memoryBytes, MemorySwap = memoryBytes, NanoCPUs = nanoCpus, PidsLimit = pidsLimit,
        }, cancellationToken));

    /// <summary>Removes a member with its anonymous volumes; one already gone is fine.</summary>
    public Task RemoveAsync(string containerId, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            try
            {
                await docker.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
            }
            catch (DockerContainerNotFoundException)
            {
            }
        });

    /// <summary>The container's name, limits and state, or null when it is gone.</summary>
    public async Task<ContainerInspectResponse?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            return await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>One member's container, or null when it is gone.</summary>
    public async Task<MemberContainer?> FindMemberAsync(Guid memberId, CancellationToken cancellationToken) =>
        (await ListMembersAsync(cancellationToken, memberId)).FirstOrDefault();

    /// <summary>Every member container of this instance, claimed or not (one list call); only <paramref name="memberId"/>'s when given.</summary>
    public Task<IReadOnlyList<MemberContainer>> ListMembersAsync(CancellationToken cancellationToken, Guid? memberId = null) =>
        Call(async () =>
        {
            var listed = await docker.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool>
                    {
                        [$"{ContainerLabels.Managed}=true"] = true,
                        [$"{ContainerLabels.Instance}={Instance}"] = true,
                        [memberId is { } id ? $"{PoolLabels.Member}={id:D}" : PoolLabels.Member] = true,
                    },
                },
            }, cancellationToken);
            return (IReadOnlyList<MemberContainer>)listed
                .Where(c => PoolLabels.MemberOf((IReadOnlyDictionary<string, string>?)c.Labels) is not null)
                .Select(c => new MemberContainer(c.ID, c.Names?.FirstOrDefault()?.TrimStart('/') ?? "", PoolLabels.MemberOf((IReadOnlyDictionary<string, string>)c.Labels)!.Value,
                    ((IReadOnlyDictionary<string, string>)c.Labels).GetValueOrDefault(PoolLabels.Pool, ""), c.State == "running",
                    c.Ports?.FirstOrDefault(p => p.PublicPort != 0)?.PublicPort is { } port and > 0 ? port : null,
                    c.Created))
                .ToList();
        });

    private static async Task Call(Func<Task> operation) => await Call(async () => { await operation(); return 0; });

    private static async Task<T> Call<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ContainerRuntimeException(FailureReasons.NameConflict, $"The Docker engine answered 409: {e.ResponseBody?.Trim()}", e);
        }
        catch (DockerApiException e)
        {
            throw new ContainerRuntimeException(FailureReasons.DockerError, $"The Docker engine answered {(int)e.StatusCode}: {e.ResponseBody?.Trim()}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
        {
            throw new ContainerRuntimeException(FailureReasons.DockerUnavailable, $"The Docker engine is unreachable: {e.Message}", e);
        }
    }
}
