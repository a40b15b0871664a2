using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using ContainerSpec = Messaging.Worker.Containers.ContainerSpec;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.IntegrationTests;

/// <summary>How the real engine's errors reach the worker: as the exceptions and reason codes it acts on.</summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DockerContainerRuntimeTests(SystemFixture system)
{
    private static readonly DockerOptions Options = new() { Instance = SystemFixture.Instance, PullMissingImages = false };

    private static DockerContainerRuntime Runtime(IDockerClient docker) =>
        new(docker, Microsoft.Extensions.Options.Options.Create(Options), NullLogger<DockerContainerRuntime>.Instance);

    private static readonly Guid ServiceId = Guid.NewGuid();

    private static ContainerSpec Spec(string name, int hostPort, string image = "nginx:alpine") => new()
    {
        Name = name,
        Image = image,
        Labels = new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "true",
            [ContainerLabels.Instance] = SystemFixture.Instance,
            [ContainerLabels.ServiceId] = ServiceId.ToString("D"),
        },
        Port = new PublishedPort(80, "127.0.0.1", hostPort),
        MemoryBytes = 64L * 1024 * 1024,
        NanoCpus = 500_000_000,
        PidsLimit = 64,
        User = "101:101",
        ReadOnlyRootfs = true,
        Network = "bridge",
        Logs = new LogLimits("1m", 1),
    };

    [Fact]
    public async Task A_host_port_held_by_another_process_is_reported_as_unavailable()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var runtime = Runtime(system.Docker);
        var id = await runtime.CreateAsync(Spec($"it-held-{Guid.NewGuid():N}"[..20], port), default);
        try
        {
            var refused = await Assert.ThrowsAsync<HostPortUnavailableException>(() => runtime.StartAsync(new(id, ServiceId), port, default));
            Assert.Contains(port.ToString(), refused.Message);
        }
        finally
        {
            await runtime.RemoveAsync(new(id, ServiceId), default);
        }
    }

    [Fact]
    public async Task A_taken_container_name_is_a_name_conflict()
    {
        var name = $"it-dup-{Guid.NewGuid():N}"[..20];
        var runtime = Runtime(system.Docker);
        var id = await runtime.CreateAsync(Spec(name, 0), default);
        try
        {
            await Assert.ThrowsAsync<ContainerNameConflictException>(() => runtime.CreateAsync(Spec(name, 0), default));
            var found = await runtime.FindByNameAsync(name, default);
            Assert.Equal(id, found!.Id);
            Assert.Null(await runtime.FindByNameAsync(name[..^1], default));
        }
        finally
        {
            await runtime.RemoveAsync(new(id, ServiceId), default);
        }
        Assert.Null(await runtime.FindByNameAsync(name, default));
        await runtime.RemoveAsync(new(id, ServiceId), default); // removing what is gone is fine
    }

    [Fact]
    public async Task An_image_the_engine_lacks_is_a_docker_error_when_pulling_is_off()
    {
        var runtime = Runtime(system.Docker);
        var error = await Assert.ThrowsAsync<ContainerRuntimeException>(() =>
            runtime.CreateAsync(Spec($"it-noimg-{Guid.NewGuid():N}"[..20], 0, image: "messaging-test/absent:never"), default));
        Assert.Equal(FailureReasons.DockerError, error.Reason);
    }

    [Fact]
    public async Task An_unreachable_engine_is_docker_unavailable()
    {
        using var nowhere = new DockerClientBuilder()
            .WithEndpoint(new Uri("unix:///tmp/messaging-no-such-docker.sock"))
            .WithApiVersion(new System.Version(1, 41))
            .Build();
        var error = await Assert.ThrowsAsync<ContainerRuntimeException>(() =>
            Runtime(nowhere).CreateAsync(Spec("it-nowhere", 0), default));
        Assert.Equal(FailureReasons.DockerUnavailable, error.Reason);
    }

    /// <summary>A container someone else made, running, with none of our labels or only some of them.</summary>
    private async Task<string> Foreign(Dictionary<string, string>? labels = null)
    {
        var id = (await system.Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"it-foreign-{Guid.NewGuid():N}"[..24],
            Image = "messaging-test/busybox:latest",
            Cmd = ["sh", "-c", "echo foreign secret; trap 'exit 0' TERM; sleep 300 & wait"],
            Labels = labels ?? [],
        })).ID;
        await system.Docker.Containers.StartContainerAsync(id, new ContainerStartParameters());
        return id;
    }

    public static TheoryData<string, Dictionary<string, string>> ForeignLabels => new()
    {
        { "no labels at all", [] },
        { "our labels but another installation's instance", new()
            { [ContainerLabels.Managed] = "true", [ContainerLabels.Instance] = "someone-else", [ContainerLabels.ServiceId] = ServiceId.ToString("D") } },
        { "our instance but another service", new()
            { [ContainerLabels.Managed] = "true", [ContainerLabels.Instance] = SystemFixture.Instance, [ContainerLabels.ServiceId] = Guid.NewGuid().ToString("D") } },
        { "service and instance but not marked managed", new()
            { [ContainerLabels.Instance] = SystemFixture.Instance, [ContainerLabels.ServiceId] = ServiceId.ToString("D") } },
    };

    [Theory]
    [MemberData(nameof(ForeignLabels))]
    public async Task A_container_that_is_not_the_service_s_is_never_stopped_restarted_read_or_removed(string description, Dictionary<string, string> labels)
    {
        var id = await Foreign(labels);
        var runtime = Runtime(system.Docker);
        try
        {
            var before = (await system.Docker.Containers.InspectContainerAsync(id)).State!.StartedAt;
            // By id, by id prefix and by name: the engine resolves all three, the runtime must refuse all three.
            var name = (await system.Docker.Containers.InspectContainerAsync(id)).Name.TrimStart('/');
            foreach (var target in new[] { id, id[..12], name })
            {
                var container = new ServiceContainer(target, ServiceId);
                await Assert.ThrowsAsync<ForeignContainerException>(() => runtime.StopAsync(container, default));
                await Assert.ThrowsAsync<ForeignContainerException>(() => runtime.RestartAsync(container, default));
                await Assert.ThrowsAsync<ForeignContainerException>(() => runtime.StartAsync(container, 0, default));
                await Assert.ThrowsAsync<ForeignContainerException>(() => runtime.GetLogsAsync(container, 10, default));
                await Assert.ThrowsAsync<ForeignContainerException>(() => runtime.GetUsageAsync(container, default));
                await Assert.ThrowsAsync<ForeignContainerException>(() => runtime.RemoveAsync(container, default));
                Assert.False(await runtime.ExistsAsync(container, default), description);
            }

            var after = await system.Docker.Containers.InspectContainerAsync(id);
            Assert.True(after.State!.Running, description);
            Assert.Equal(before, after.State.StartedAt);
        }
        finally
        {
            await system.Docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
        }
    }

    [Fact]
    public async Task The_service_s_own_container_is_acted_on()
    {
        var runtime = Runtime(system.Docker);
        var id = await runtime.CreateAsync(Spec($"it-own-{Guid.NewGuid():N}"[..20], 0), default);
        var container = new ServiceContainer(id, ServiceId);
        try
        {
            await runtime.StartAsync(container, 0, default);
            Assert.True((await system.Docker.Containers.InspectContainerAsync(id)).State!.Running);
            await runtime.StopAsync(container, default);
            Assert.False((await system.Docker.Containers.InspectContainerAsync(id)).State!.Running);
            Assert.True(await runtime.ExistsAsync(container, default));
        }
        finally
        {
            await runtime.RemoveAsync(container, default);
        }
        Assert.False(await runtime.ExistsAsync(container, default));
    }

    /// <summary>
    /// An image that declares a VOLUME gets an anonymous volume with every container, mounts in the spec or not.
    /// Every removal the worker makes (a removal command, a failed creation's clean-up, the reconciler's orphans)
    /// goes through <see cref="DockerContainerRuntime.RemoveAsync"/>, so that is where the volume must go too.
    /// </summary>
    [Fact]
    public async Task Removing_a_container_deletes_its_anonymous_volumes()
    {
        var image = $"messaging-test/with-volume:it-{Guid.NewGuid():N}"[..48];
        var template = (await system.Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"it-volimg-{Guid.NewGuid():N}"[..24], Image = "messaging-test/busybox:latest",
        })).ID;
        string? volume = null;
        try
        {
            var colon = image.LastIndexOf(':');
            await system.Docker.Images.CommitContainerChangesAsync(new CommitContainerChangesParameters
            {
                ContainerID = template, RepositoryName = image[..colon], Tag = image[(colon + 1)..],
                Volumes = new Dictionary<string, EmptyStruct> { ["/data"] = default },
                Cmd = ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"],
            });
            var runtime = Runtime(system.Docker);
            var id = await runtime.CreateAsync(Spec($"it-vol-{Guid.NewGuid():N}"[..20], 0, image), default);
            var name = Assert.Single((await system.Docker.Containers.InspectContainerAsync(id)).Mounts, m => m.Type == "volume").Name!;
            volume = name;
            await system.Docker.Volumes.InspectAsync(name); // it exists while the container does

            await runtime.RemoveAsync(new(id, ServiceId), default);

            Assert.DoesNotContain((await system.Docker.Volumes.ListAsync(new VolumesListParameters())).Volumes ?? [], v => v.Name == name);
        }
        finally
        {
            await system.Docker.Containers.RemoveContainerAsync(template, new ContainerRemoveParameters { Force = true });
            if (volume is not null)
                try { await system.Docker.Volumes.RemoveAsync(volume, force: true); } catch (DockerApiException) { }
            try { await system.Docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true }); } catch (DockerApiException) { }
        }
    }

    [Fact]
    public async Task Removing_a_container_removes_its_anonymous_volumes_too()
    {
        // A container of the service with an anonymous volume (an image's VOLUME makes one just like this).
        var id = (await system.Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"it-vol-{Guid.NewGuid():N}"[..20],
            Image = "messaging-test/busybox:latest",
            Cmd = ["sleep", "300"],
            Labels = Spec("unused", 0).Labels.ToDictionary(),
            Volumes = new Dictionary<string, EmptyStruct> { ["/data"] = default },
        })).ID;
        var volume = Assert.Single((await system.Docker.Containers.InspectContainerAsync(id)).Mounts, m => m.Type == "volume").Name!;

        await Runtime(system.Docker).RemoveAsync(new ServiceContainer(id, ServiceId), default);

        Assert.False(await Runtime(system.Docker).ExistsAsync(new ServiceContainer(id, ServiceId), default));
        await Assert.ThrowsAsync<DockerApiException>(() => system.Docker.Volumes.InspectAsync(volume));
    }

    [Fact]
    public async Task The_engine_reports_the_hosts_memory_and_cpus_the_default_host_budget_comes_from()
    {
        var resources = await Runtime(system.Docker).GetResourcesAsync(default);

        // The engine runs on this machine: its NCPU is ours, its MemTotal what the kernel reports.
        Assert.Equal(Environment.ProcessorCount, resources.Cpus);
        var kilobytes = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal(kilobytes * 1024, resources.MemoryBytes);
    }

    [Fact]
    public async Task Duplicate_services_networks_made_by_a_race_are_reduced_to_the_oldest()
    {
        var name = $"it-net-{Guid.NewGuid():N}"[..20];
        var made = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // What two racing workers left behind: API 1.41 takes the same name again.
            made.Add((await system.Docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = name, Driver = "bridge",
                Labels = new Dictionary<string, string> { [ContainerLabels.Managed] = "true" },
                Options = new Dictionary<string, string> { ["com.docker.network.bridge.enable_icc"] = "false" },
            })).ID);
            await Task.Delay(20); // distinct creation times
        }
        try
        {
            var runtime = new DockerContainerRuntime(system.Docker,
                Microsoft.Extensions.Options.Options.Create(new DockerOptions { Instance = SystemFixture.Instance, Network = name }),
                NullLogger<DockerContainerRuntime>.Instance);

            await runtime.EnsureNetworkAsync(default);

            var left = (await system.Docker.Networks.ListNetworksAsync(new NetworksListParameters())).Where(n => n.Name == name).Select(n => n.ID).ToList();
            Assert.Equal([made[0]], left);
        }
        finally
        {
            foreach (var id in made)
                try { await system.Docker.Networks.DeleteNetworkAsync(id); } catch (DockerNetworkNotFoundException) { } catch (DockerApiException) { }
        }
    }
}
