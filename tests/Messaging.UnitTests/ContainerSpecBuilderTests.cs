using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

public class ContainerSpecBuilderTests
{
    private const int HostPort = 12345;
    private const long Memory = 128L * 1024 * 1024;

    private static readonly DockerOptions Docker = new()
    {
        PublishAddress = "127.0.0.1",
        Network = "proxy_network",
        PidsLimit = 256,
        Instance = "it",
        LogMaxSize = "10m",
        LogMaxFiles = 3,
    };

    private static AllowedImage Entry() => new()
    {
        Image = "nginx:alpine",
        MaxMemory = "512m",
        MaxCpus = 1,
        InternalPort = 80,
        Capabilities = ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"],
        ReadOnlyRootfs = true,
        Tmpfs = ["/tmp", "/var/cache/nginx"],
    };

    private static CreateService Command() => TestCommands.Valid() with
    {
        ServiceName = "my-nginx",
        RequestedBy = "svc:deployer@corp",
        CpuLimit = 0.5,
        Env = new Dictionary<string, string> { ["A"] = "1", ["_B2"] = "x=y" },
    };

    private static CreateContainerParameters Build(CreateService command, AllowedImage entry, int internalPort = 80) =>
        new ContainerSpecBuilder(Options.Create(Docker))
            .Build(new ApprovedService(command, entry, entry.Image, Memory, internalPort), HostPort);

    private static CreateContainerParameters Build() => Build(Command(), Entry());

    private static HostConfig HostOf(CreateContainerParameters spec)
    {
        Assert.NotNull(spec.HostConfig);
        return spec.HostConfig;
    }

    [Fact]
    public void Name_and_image_come_from_the_approved_service()
    {
        var spec = Build();
        Assert.Equal("my-nginx", spec.Name);
        Assert.Equal("nginx:alpine", spec.Image);
    }

    [Fact]
    public void Image_is_the_approved_one_not_the_requested_one()
    {
        var command = Command() with { Image = "docker.io/library/nginx:alpine" };
        var spec = new ContainerSpecBuilder(Options.Create(Docker))
            .Build(new ApprovedService(command, Entry(), "docker.io/library/nginx:alpine@sha256:" + new string('a', 64), Memory, 80), HostPort);
        Assert.Equal("docker.io/library/nginx:alpine@sha256:" + new string('a', 64), spec.Image);
    }

    [Fact]
    public void Labels_mark_the_container_as_ours()
    {
        var command = Command();
        var labels = Build(command, Entry()).Labels;

        Assert.Equal("true", labels[ContainerLabels.Managed]);
        Assert.Equal(command.ServiceId.ToString("D"), labels[ContainerLabels.ServiceId]);
        Assert.Equal("svc:deployer@corp", labels[ContainerLabels.Owner]);
        Assert.Equal("my-nginx", labels[ContainerLabels.ServiceName]);
        Assert.Equal("it", labels[ContainerLabels.Instance]);
    }

    [Fact]
    public void Label_keys_are_the_documented_ones()
    {
        Assert.Equal("messaging.managed", ContainerLabels.Managed);
        Assert.Equal("messaging.service-id", ContainerLabels.ServiceId);
        Assert.Equal("messaging.owner", ContainerLabels.Owner);
        Assert.Equal("messaging.service-name", ContainerLabels.ServiceName);
        Assert.Equal("messaging.instance", ContainerLabels.Instance);
    }

    [Fact]
    public void Labels_come_only_from_the_builder()
    {
        var command = Command() with
        {
            Env = new Dictionary<string, string>
            {
                ["LABEL"] = "messaging.owner=root",
                ["messaging_managed"] = "false",
                ["com_docker_compose_project"] = "x",
            },
        };
        var labels = Build(command, Entry()).Labels;

        Assert.Equal(
            new[] { ContainerLabels.CommandId, ContainerLabels.Instance, ContainerLabels.Managed, ContainerLabels.Owner, ContainerLabels.ServiceId, ContainerLabels.ServiceName },
            labels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(command.RequestedBy, labels[ContainerLabels.Owner]);
        Assert.Equal("true", labels[ContainerLabels.Managed]);
    }

    [Fact]
    public void Memory_and_swap_are_both_the_limit()
    {
        var host = HostOf(Build());
        Assert.Equal(Memory, host.Memory);
        Assert.Equal(Memory, host.MemorySwap);
    }

    [Theory]
    [InlineData(0.5, 500_000_000L)]
    [InlineData(0.001, 1_000_000L)]
    [InlineData(1, 1_000_000_000L)]
    [InlineData(1.5, 1_500_000_000L)]
    [InlineData(0.1, 100_000_000L)]
    [InlineData(64, 64_000_000_000L)]
    public void NanoCpus_are_the_cpu_limit_times_a_billion(double cpus, long nanoCpus)
    {
        var spec = Build(Command() with { CpuLimit = cpus }, Entry());
        Assert.Equal(nanoCpus, HostOf(spec).NanoCPUs);
    }

    [Fact]
    public void Pids_are_limited()
    {
        Assert.Equal(256L, HostOf(Build()).PidsLimit);
    }

    [Fact]
    public void Container_is_not_privileged_and_cannot_gain_privileges()
    {
        var host = HostOf(Build());
        Assert.False(host.Privileged);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
    }

    [Fact]
    public void All_capabilities_are_dropped_and_only_the_entry_s_are_added_back()
    {
        var host = HostOf(Build());
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"], host.CapAdd);
    }

    [Fact]
    public void An_entry_without_capabilities_adds_none()
    {
        var host = HostOf(Build(Command(), new AllowedImage { Image = "traefik/whoami:v1.10" }));
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Empty(host.CapAdd);
    }

    [Fact]
    public void Cap_add_is_a_copy_of_the_entry_s_list()
    {
        var entry = Entry();
        var host = HostOf(Build(Command(), entry));
        entry.Capabilities.Add("SYS_ADMIN");
        Assert.DoesNotContain("SYS_ADMIN", host.CapAdd);
    }

    [Fact]
    public void Nothing_from_the_host_is_mounted()
    {
        var host = HostOf(Build());
        Assert.Empty(host.Binds);
        Assert.NotNull(host.Mounts);
        Assert.Empty(host.Mounts);
        Assert.Empty(host.Devices);
        Assert.Empty(host.VolumesFrom);
    }

    [Fact]
    public void Host_namespaces_and_extras_are_left_unset()
    {
        var host = HostOf(Build());
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
    public void Container_joins_the_configured_network_only()
    {
        Assert.Equal("proxy_network", HostOf(Build()).NetworkMode);
    }

    [Fact]
    public void Exactly_one_port_is_published_on_the_configured_address()
    {
        var host = HostOf(Build());
        Assert.False(host.PublishAllPorts);

        var (key, bindings) = Assert.Single(host.PortBindings);
        Assert.Equal("80/tcp", key);
        var binding = Assert.Single(bindings);
        Assert.Equal("127.0.0.1", binding.HostIP);
        Assert.Equal("12345", binding.HostPort);
    }

    [Fact]
    public void The_published_port_is_the_approved_internal_port()
    {
        var spec = Build(Command() with { InternalPort = 8080 }, Entry(), internalPort: 8080);

        var (key, _) = Assert.Single(HostOf(spec).PortBindings!);
        Assert.Equal("8080/tcp", key);
        Assert.Equal("8080/tcp", Assert.Single(spec.ExposedPorts!).Key);
    }

    [Fact]
    public void Env_is_mapped_to_name_equals_value()
    {
        Assert.Equal(["A=1", "_B2=x=y"], Build().Env.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Absent_env_gives_an_empty_list()
    {
        Assert.Empty(Build(Command() with { Env = null }, Entry()).Env);
    }

    [Fact]
    public void Read_only_root_and_tmpfs_come_from_the_entry()
    {
        var host = HostOf(Build());
        Assert.True(host.ReadonlyRootfs);
        Assert.NotNull(host.Tmpfs);
        Assert.Equal(["/tmp", "/var/cache/nginx"], host.Tmpfs.Keys.Order(StringComparer.Ordinal));
        Assert.All(host.Tmpfs.Values, options =>
        {
            Assert.Contains("noexec", options.Split(','));
            Assert.Contains("nosuid", options.Split(','));
        });
    }

    [Fact]
    public void An_entry_without_read_only_root_or_tmpfs_gets_neither()
    {
        var host = HostOf(Build(Command(), new AllowedImage { Image = "traefik/whoami:v1.10" }));
        Assert.False(host.ReadonlyRootfs);
        Assert.NotNull(host.Tmpfs);
        Assert.Empty(host.Tmpfs);
    }

    [Fact]
    public void Logs_are_bounded_json_files()
    {
        var log = HostOf(Build()).LogConfig;
        Assert.Equal("json-file", log.Type);
        Assert.Equal("10m", log.Config["max-size"]);
        Assert.Equal("3", log.Config["max-file"]);
    }

    [Fact]
    public void Restart_policy_is_unless_stopped()
    {
        Assert.Equal(RestartPolicyKind.UnlessStopped, HostOf(Build()).RestartPolicy.Name);
    }
}
