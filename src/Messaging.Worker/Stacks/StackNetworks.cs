using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Stacks;

/// <summary>A stack network on the engine: its name and the stack it belongs to.</summary>
public sealed record StackNetwork(string Id, string Name, Guid StackId, int Containers);

/// <summary>
/// Each stack's private network: a bridge of its own, with traffic between its containers allowed (members reach each
/// other by name through the engine's DNS), while the engine's isolation between bridges keeps other stacks and the
/// plain services (on the services network, where containers cannot talk to each other) out. Made with the stack and
/// removed with it; labelled so the reconciler can find one a crash left behind.
/// </summary>
public sealed class StackNetworks(IDockerClient docker, IOptions<DockerOptions> options, ILogger<StackNetworks> logger)
{
    private readonly DockerOptions _options = options.Value;

    public string NameOf(Guid stackId) => $"{_options.Instance}-stack-{stackId:N}";

    /// <summary>
    /// Creates the stack's network unless it exists (a redelivery finds the one it made); returns its name. Callers hold
    /// the stack's lock, so no two look-then-create race (the engine would accept two networks of one name).
    /// </summary>
    public async Task<string> EnsureAsync(Guid stackId, CancellationToken cancellationToken)
    {
        var name = NameOf(stackId);
        await Call(async () =>
        {
            if (await FindAsync(name, cancellationToken) is not null)
                return;
            await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = name,
                Driver = "bridge",
                Labels = new Dictionary<string, string>
                {
                    [ContainerLabels.Managed] = "true",
                    [ContainerLabels.Instance] = _options.Instance,
                    [ContainerLabels.StackId] = stackId.ToString("D"),
                },
                Options = new Dictionary<string, string> { ["com.docker.network.bridge.enable_icc"] = "true" },
            }, cancellationToken);
            logger.LogInformation("Created stack network {Network}", name);
        });
        return name;
    }

    /// <summary>Removes the stack's network; one already gone is fine. Throws while containers are still attached.</summary>
    public Task RemoveAsync(Guid stackId, CancellationToken cancellationToken) => Call(async () =>
    {
        if (await FindAsync(NameOf(stackId), cancellationToken) is not { } network)
            return;
        try
        {
            await docker.Networks.DeleteNetworkAsync(network.ID, cancellationToken);
            logger.LogInformation("Removed stack network {Network}", network.Name);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
    });

    /// <summary>Every stack network of this installation.</summary>
    public async Task<IReadOnlyList<StackNetwork>> ListAsync(CancellationToken cancellationToken)
    {
        var networks = await Call(() => docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.Instance}={_options.Instance}"] = true, [ContainerLabels.StackId] = true },
            },
        }, cancellationToken));
        var result = new List<StackNetwork>();
        foreach (var network in networks)
        {
            if (network.Labels?.TryGetValue(ContainerLabels.StackId, out var id) == true && Guid.TryParse(id, out var stackId))
            {
                // The list leaves out the attached containers; inspecting shows them.
                var inspected = await Call(() => docker.Networks.InspectNetworkAsync(network.ID, cancellationToken));
                result.Add(new StackNetwork(network.ID, network.Name, stackId, inspected.Containers?.Count ?? 0));
            }
        }
        return result;
    }

    private async Task<NetworkResponse?> FindAsync(string name, CancellationToken cancellationToken) =>
        (await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
        }, cancellationToken)).FirstOrDefault(n => n.Name == name); // the name filter matches substrings

    private static Task Call(Func<Task> operation) => Call(async () => { await operation(); return 0; });

    private static async Task<T> Call<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (DockerApiException e)
        {
            throw new ContainerRuntimeException(FailureReasons.DockerError, $"The Docker engine answered {(int)e.StatusCode} about a stack network: {e.ResponseBody}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
        {
            throw new ContainerRuntimeException(FailureReasons.DockerUnavailable, $"The Docker engine is unreachable: {e.Message}", e);
        }
    }
}
