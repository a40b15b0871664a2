using Docker.DotNet.Models;
using Messaging.Worker.Scheduling;
using Messaging.Worker.Scheduling.Swarm;

namespace Messaging.UnitTests.Scheduling;

/// <summary>The Swarm service made from a spec: the container path's guard rails in the fields Engine API 1.41 has for services.</summary>
public class SwarmServiceSpecTests
{
    private static ServiceSpec Service(Action<Messaging.Worker.Policy.AllowedImage>? entry = null)
    {
        var allowed = ContainerSpecBuilderTests.Entry();
        entry?.Invoke(allowed);
        return SwarmServiceSpec.From(ContainerSpecBuilderTests.Build(ContainerSpecBuilderTests.Command(), allowed), "net-1", new SwarmOptions(), replicas: 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Capabilities_are_dropped_root_is_read_only_and_the_user_is_the_entry_s()
    {
        var container = Service().TaskTemplate!.ContainerSpec!;
        Assert.Equal(["ALL"], container.CapabilityDrop);
        Assert.Equal(["CHOWN", "NET_BIND_SERVICE"], container.CapabilityAdd);
        Assert.True(container.ReadOnly);
        Assert.Equal(ContainerSpecBuilderTests.Entry().User, container.User);
        Assert.Empty(container.Sysctls!);
        Assert.All(container.Mounts!, mount => Assert.Equal("tmpfs", mount.Type)); // no bind or volume mounts
    }

    [Fact]
    public void Memory_and_cpus_are_limits_and_reservations_alike_and_pids_are_limited()
    {
        var resources = Service().TaskTemplate!.Resources!;
        Assert.Equal(ContainerSpecBuilderTests.Memory, resources.Limits!.MemoryBytes);
        Assert.Equal(ContainerSpecBuilderTests.Memory, resources.Reservations!.MemoryBytes);
        Assert.Equal(500_000_000L, resources.Limits.NanoCPUs);
        Assert.Equal(500_000_000L, resources.Reservations.NanoCPUs);
        Assert.Equal(256L, resources.Limits.Pids);
    }

    [Fact]
    public void The_port_is_published_in_host_mode_and_the_service_has_no_virtual_ip()
    {
        var endpoint = Service().EndpointSpec!;
        Assert.Equal("dnsrr", endpoint.Mode);
        var port = Assert.Single(endpoint.Ports!);
        Assert.Equal(("host", "tcp", (uint)ContainerSpecBuilderTests.HostPort, 80u), (port.PublishMode, port.Protocol, port.PublishedPort!.Value, port.TargetPort!.Value));
    }

    [Fact]
    public void Labels_are_on_the_service_and_on_every_task_s_container()
    {
        var spec = ContainerSpecBuilderTests.Build();
        var service = SwarmServiceSpec.From(spec, "net-1", new SwarmOptions(), replicas: 1, TimeSpan.FromSeconds(10));
        Assert.Equal(spec.Labels, service.Labels);
        Assert.Equal(spec.Labels, service.TaskTemplate!.ContainerSpec!.Labels);
    }

    [Fact]
    public void The_service_joins_only_its_own_network_and_placement_follows_the_entry_s_node_labels()
    {
        var service = Service(entry => entry.RequiredNodeLabels = new() { ["zone"] = "blue", ["disk"] = "ssd" });
        Assert.Equal("net-1", Assert.Single(service.TaskTemplate!.Networks!).Target);
        Assert.Equal(["node.labels.disk==ssd", "node.labels.zone==blue"], service.TaskTemplate.Placement!.Constraints);
        Assert.Empty(Service().TaskTemplate!.Placement!.Constraints!);
    }

    [Fact]
    public void Swarm_restarts_by_the_configured_policy_and_the_service_starts_with_the_replicas_asked()
    {
        var service = Service();
        Assert.Equal("any", service.TaskTemplate!.RestartPolicy!.Condition);
        Assert.Equal(0UL, service.Mode!.Replicated!.Replicas);
        Assert.Equal(TimeSpan.FromSeconds(10), service.TaskTemplate.ContainerSpec!.StopGracePeriod);
    }

    [Theory]
    [InlineData("zone", "blue==red")]
    [InlineData("zone!", "blue")]
    [InlineData("zone", "")]
    public void An_entry_s_node_label_that_could_spell_another_constraint_is_refused_at_start(string key, string value)
    {
        var entry = ContainerSpecBuilderTests.Entry();
        entry.RequiredNodeLabels = new() { [key] = value };
        var options = new Messaging.Worker.Policy.ImagePolicyOptions { AllowedImages = [entry] };
        Assert.Contains(options.Problems(), p => p.Contains("RequiredNodeLabels", StringComparison.Ordinal));
    }
}
