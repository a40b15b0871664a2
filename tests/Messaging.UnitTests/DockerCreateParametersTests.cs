using Docker.DotNet.Models;
using Messaging.Worker.Containers;

namespace Messaging.UnitTests;

/// <summary>The engine request made from a spec: the spec's values, and the fixed hardening on every container.</summary>
public class DockerCreateParametersTests
{
    private static CreateContainerParameters Parameters() => DockerCreateParameters.From(ContainerSpecBuilderTests.Build());

    private static HostConfig HostOf(CreateContainerParameters parameters)
    {
        Assert.NotNull(parameters.HostConfig);
        return parameters.HostConfig;
    }

    [Fact]
    public void Name_image_labels_and_env_are_the_spec_s()
    {
        var spec = ContainerSpecBuilderTests.Build();
        var parameters = DockerCreateParameters.From(spec);
        Assert.Equal(spec.Name, parameters.Name);
        Assert.Equal(spec.Image, parameters.Image);
        Assert.Equal(spec.Labels, parameters.Labels);
        Assert.Equal(spec.Env, parameters.Env);
    }

    [Fact]
    public void Memory_and_swap_are_both_the_limit()
    {
        var host = HostOf(Parameters());
        Assert.Equal(ContainerSpecBuilderTests.Memory, host.Memory);
        Assert.Equal(ContainerSpecBuilderTests.Memory, host.MemorySwap);
    }

    [Fact]
    public void Cpus_and_pids_are_the_spec_s()
    {
        var host = HostOf(Parameters());
        Assert.Equal(500_000_000L, host.NanoCPUs);
        Assert.Equal(256L, host.PidsLimit);
    }

    [Fact]
    public void Container_is_not_privileged_and_cannot_gain_privileges()
    {
        var host = HostOf(Parameters());
        Assert.False(host.Privileged);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
    }

    [Fact]
    public void All_capabilities_are_dropped_and_only_the_spec_s_are_added_back()
    {
        var host = HostOf(Parameters());
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["CHOWN", "NET_BIND_SERVICE"], host.CapAdd);
    }

    [Fact]
    public void The_process_runs_as_the_spec_s_user()
    {
        Assert.Equal("101:101", Parameters().User);
    }

    [Fact]
    public void Nothing_from_the_host_is_mounted()
    {
        var host = HostOf(Parameters());
        Assert.Empty(host.Binds);
        Assert.NotNull(host.Mounts);
        Assert.Empty(host.Mounts);
        Assert.Empty(host.Devices);
        Assert.Empty(host.VolumesFrom);
    }

    [Fact]
    public void Host_namespaces_and_extras_are_left_unset()
    {
        var host = HostOf(Parameters());
        Assert.True(string.IsNullOrEmpty(host.PidMode));
        Assert.Equal("private", host.IpcMode); // spelled out: never the host's or a shareable IPC namespace
        Assert.True(string.IsNullOrEmpty(host.UTSMode));
        Assert.True(string.IsNullOrEmpty(host.UsernsMode));
        Assert.True(string.IsNullOrEmpty(host.Runtime));
        Assert.Empty(host.Sysctls ?? new Dictionary<string, string>());
        Assert.Null(host.DeviceRequests);
        Assert.Null(host.ExtraHosts);
    }

    [Fact]
    public void Container_joins_the_spec_s_network_only()
    {
        Assert.Equal("proxy_network", HostOf(Parameters()).NetworkMode);
    }

    [Fact]
    public void Exactly_one_port_is_published_on_the_spec_s_address()
    {
        var parameters = Parameters();
        var host = HostOf(parameters);
        Assert.False(host.PublishAllPorts);

        var (key, bindings) = Assert.Single(host.PortBindings);
        Assert.Equal("80/tcp", key);
        var binding = Assert.Single(bindings);
        Assert.Equal("127.0.0.1", binding.HostIP);
        Assert.Equal(ContainerSpecBuilderTests.HostPort.ToString(), binding.HostPort);
        Assert.Equal("80/tcp", Assert.Single(parameters.ExposedPorts!).Key);
    }

    [Fact]
    public void Read_only_root_and_tmpfs_are_the_spec_s()
    {
        var host = HostOf(Parameters());
        Assert.True(host.ReadonlyRootfs);
        Assert.NotNull(host.Tmpfs);
        Assert.Equal(["/tmp", "/var/cache/nginx"], host.Tmpfs.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Logs_are_bounded_json_files()
    {
        var log = HostOf(Parameters()).LogConfig;
        Assert.Equal("json-file", log.Type);
        Assert.Equal("10m", log.Config["max-size"]);
        Assert.Equal("3", log.Config["max-file"]);
    }

    [Fact]
    public void Restart_policy_is_unless_stopped()
    {
        Assert.Equal(RestartPolicyKind.No, HostOf(Parameters()).RestartPolicy.Name);
    }
}
