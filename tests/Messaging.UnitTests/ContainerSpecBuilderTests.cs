using Messaging.Contracts;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

public class ContainerSpecBuilderTests
{
    internal const int HostPort = 12345;
    internal const long Memory = 128L * 1024 * 1024;

    private static readonly DockerOptions Docker = new()
    {
        PublishAddress = "127.0.0.1",
        Network = "proxy_network",
        PidsLimit = 256,
        Instance = "it",
        LogMaxSize = "10m",
        LogMaxFiles = 3,
    };

    internal static AllowedImage Entry() => new()
    {
        Image = "nginx:alpine",
        MaxMemory = "512m",
        MaxCpus = 1,
        InternalPort = 80,
        User = "101:101",
        Capabilities = ["CHOWN", "NET_BIND_SERVICE"], // CHOWN as if the operator had opted into it
        ReadOnlyRootfs = true,
        Tmpfs = ["/tmp", "/var/cache/nginx"],
    };

    private static AllowedImage WithCapabilities(params string[] capabilities)
    {
        var entry = Entry();
        entry.Capabilities = [.. capabilities];
        return entry;
    }

    internal static CreateService Command() => TestCommands.Valid() with
    {
        ServiceName = "my-nginx",
        RequestedBy = "svc:deployer@corp",
        CpuLimit = 0.5,
        Env = new Dictionary<string, string> { ["A"] = "1", ["_B2"] = "x=y" },
    };

    internal static ContainerSpec Build(CreateService command, AllowedImage entry, int internalPort = 80) =>
        new ContainerSpecBuilder(Options.Create(Docker))
            .Build(new ApprovedService(command, entry, entry.Image, Memory, command.CpuLimit ?? 0.5, internalPort), HostPort);

    internal static ContainerSpec Build() => Build(Command(), Entry());

    [Fact]
    public void Name_and_image_come_from_the_approved_service()
    {
        var spec = Build();
        Assert.Equal("it-my-nginx", spec.Name); // the instance first: names on a shared engine stay apart
        Assert.Equal("nginx:alpine", spec.Image);
    }

    [Fact]
    public void Image_is_the_approved_one_not_the_requested_one()
    {
        var command = Command() with { Image = "docker.io/library/nginx:alpine" };
        var spec = new ContainerSpecBuilder(Options.Create(Docker))
            .Build(new ApprovedService(command, Entry(), "docker.io/library/nginx:alpine@sha256:" + new string('a', 64), Memory, 0.5, 80), HostPort);
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
    public void Memory_is_the_approved_limit()
    {
        Assert.Equal(Memory, Build().MemoryBytes);
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
        Assert.Equal(nanoCpus, Build(Command() with { CpuLimit = cpus }, Entry()).NanoCpus);
    }

    [Fact]
    public void Pids_are_limited()
    {
        Assert.Equal(256L, Build().PidsLimit);
    }

    [Fact]
    public void Only_the_entry_s_capabilities_are_asked_for()
    {
        Assert.Equal(["CHOWN", "NET_BIND_SERVICE"], Build().Capabilities);
    }

    [Fact]
    public void An_entry_without_capabilities_asks_for_net_bind_service_only()
    {
        Assert.Equal(["NET_BIND_SERVICE"], Build(Command(), new AllowedImage { Image = "traefik/whoami:v1.10", User = "1:1" }).Capabilities);
    }

    [Fact]
    public void Capability_names_lose_docker_s_optional_prefix()
    {
        Assert.Equal(["CHOWN", "NET_BIND_SERVICE"], Build(Command(), WithCapabilities("CAP_CHOWN", "NET_BIND_SERVICE")).Capabilities);
    }

    [Fact]
    public void The_container_runs_as_the_entry_s_user()
    {
        Assert.Equal("101:101", Build().User);
    }

    [Fact]
    public void An_entry_that_runs_as_root_leaves_the_image_s_own_user()
    {
        Assert.Equal("", Build(Command(), new AllowedImage { Image = "redis:7", RunAsRoot = true }).User);
    }

    [Fact]
    public void An_entry_with_neither_a_user_nor_run_as_root_gets_no_container()
    {
        // Start-up validation refuses such an entry; if it were bypassed, no spec is better than one running as root.
        Assert.Throws<InvalidOperationException>(() => Build(Command(), new AllowedImage { Image = "redis:7" }));
    }

    [Fact]
    public void Capabilities_are_a_copy_of_the_entry_s_list()
    {
        var entry = Entry();
        var spec = Build(Command(), entry);
        entry.Capabilities!.Add("SYS_ADMIN");
        Assert.DoesNotContain("SYS_ADMIN", spec.Capabilities);
    }

    [Fact]
    public void Container_joins_the_configured_network_only()
    {
        Assert.Equal("proxy_network", Build().Network);
    }

    [Fact]
    public void The_port_is_published_on_the_configured_address()
    {
        Assert.Equal(new PublishedPort(80, "127.0.0.1", HostPort), Build().Port);
    }

    [Fact]
    public void The_published_port_is_the_approved_internal_port()
    {
        var spec = Build(Command() with { InternalPort = 8080 }, Entry(), internalPort: 8080);
        Assert.Equal(8080, spec.Port.InternalPort);
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
        var spec = Build();
        Assert.True(spec.ReadOnlyRootfs);
        Assert.Equal(["/tmp", "/var/cache/nginx"], spec.Tmpfs.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_tmpfs_is_size_limited_and_holds_no_programs_set_id_bits_or_devices()
    {
        Assert.All(Build().Tmpfs.Values, options =>
        {
            var parts = options.Split(',');
            Assert.Contains("noexec", parts);
            Assert.Contains("nosuid", parts);
            Assert.Contains("nodev", parts);
            Assert.Contains($"size={64L << 20}", parts);
        });
    }

    [Fact]
    public void The_tmpfs_size_is_the_entry_s()
    {
        var entry = Entry();
        entry.TmpfsSize = "16m";
        Assert.All(Build(Command(), entry).Tmpfs.Values, options => Assert.Contains($"size={16L << 20}", options.Split(',')));
    }

    [Fact]
    public void An_entry_that_says_nothing_gets_a_read_only_root_and_a_bounded_tmp()
    {
        var spec = Build(Command(), new AllowedImage { Image = "traefik/whoami:v1.10", User = "1:1" });
        Assert.True(spec.ReadOnlyRootfs);
        Assert.Equal(["/tmp"], spec.Tmpfs.Keys);
    }

    [Fact]
    public void A_writable_root_is_only_what_the_entry_asks_for()
    {
        var entry = Entry();
        entry.ReadOnlyRootfs = false;
        Assert.False(Build(Command(), entry).ReadOnlyRootfs);
    }

    [Fact]
    public void Logs_are_bounded()
    {
        Assert.Equal(new LogLimits("10m", 3), Build().Logs);
    }
}
