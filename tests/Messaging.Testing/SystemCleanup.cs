using Docker.DotNet;
using Docker.DotNet.Models;
using StackExchange.Redis;

namespace Messaging.Testing;

/// <summary>
/// Undoing a run, the same way in every harness: its containers by instance label, its Redis keys by prefix.
/// Both are safe to repeat and touch nothing of another run, which keeps its own label and prefix.
/// </summary>
public static class SystemCleanup
{
    /// <summary>The label the worker puts on every container it makes (<c>ContainerLabels.Instance</c>).</summary>
    public const string InstanceLabel = "messaging.instance";

    /// <summary>The containers labelled <c>messaging.instance=<paramref name="instance"/></c>, running or not.</summary>
    public static Task<IList<ContainerListResponse>> ContainersAsync(IDockerClient docker, string instance, string? name = null)
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"{InstanceLabel}={instance}"] = true },
        };
        if (name is not null) // the service name: container names carry the instance as a prefix
            filters["label"][$"messaging.service-name={name}"] = true;
        return docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filters });
    }

    /// <summary>Force-removes every container labelled with <paramref name="instance"/>; how many it removed.</summary>
    public static async Task<int> RemoveContainersAsync(IDockerClient docker, string instance, int parallel = 8)
    {
        var removed = 0;
        await Parallel.ForEachAsync(await ContainersAsync(docker, instance), new ParallelOptions { MaxDegreeOfParallelism = parallel },
            async (container, _) =>
            {
                try
                {
                    await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
                    Interlocked.Increment(ref removed);
                }
                catch (DockerContainerNotFoundException)
                {
                    // Gone already: removed by the system itself, or by another clean-up.
                }
            });
        return removed;
    }

    /// <summary>
    /// Removes the volumes labelled with <paramref name="instance"/>: the claim volumes of warm pool members (issue 20),
    /// which the worker makes beside their containers. How many it removed.
    /// </summary>
    public static async Task<int> RemoveVolumesAsync(IDockerClient docker, string instance)
    {
        var listed = await docker.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{InstanceLabel}={instance}"] = true },
            },
        });
        var removed = 0;
        foreach (var volume in listed.Volumes ?? [])
        {
            try
            {
                await docker.Volumes.RemoveAsync(volume.Name, force: true);
                removed++;
            }
            catch (DockerApiException)
            {
                // In use (its container is still being removed) or gone: the next clean-up takes it.
            }
        }
        return removed;
    }

    /// <summary>
    /// Removes the Swarm services labelled with <paramref name="instance"/> (what a worker in swarm mode makes instead of
    /// containers); how many. None on an engine that is no swarm manager.
    /// </summary>
    public static async Task<int> RemoveSwarmServicesAsync(IDockerClient docker, string instance)
    {
        IList<SwarmService> services;
        try
        {
            services = await docker.Swarm.ListServicesAsync(new ServiceListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"{InstanceLabel}={instance}"] = true },
                },
            });
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            return 0; // not a swarm manager
        }
        var removed = 0;
        foreach (var service in services)
        {
            try
            {
                await docker.Swarm.RemoveServiceAsync(service.ID!);
                removed++;
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
        }
        return removed;
    }

    /// <summary>Deletes every key that starts with <paramref name="prefix"/> (SCAN, then DEL in batches); how many.</summary>
    public static async Task<long> DeleteKeysAsync(IConnectionMultiplexer redis, string prefix)
    {
        if (string.IsNullOrEmpty(prefix))
            throw new ArgumentException("An empty prefix would delete every key of the shared Redis.", nameof(prefix));
        var db = redis.GetDatabase();
        var batch = new List<RedisKey>(1000);
        long deleted = 0;
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
            {
                batch.Add(key);
                if (batch.Count == 1000)
                {
                    deleted += await db.KeyDeleteAsync([.. batch]);
                    batch.Clear();
                }
            }
        }
        if (batch.Count > 0)
            deleted += await db.KeyDeleteAsync([.. batch]);
        return deleted;
    }

    /// <summary>Deletes the keys under <paramref name="prefix"/> on the tests' Redis, with a connection of its own.</summary>
    public static async Task<long> DeleteKeysAsync(string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        return await DeleteKeysAsync(redis, prefix);
    }
}
