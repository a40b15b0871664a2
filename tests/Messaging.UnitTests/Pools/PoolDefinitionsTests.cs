using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Messaging.Worker.Pools;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests.Pools;

/// <summary>Which creations may take a warm member (issue 20), and what a member is made of.</summary>
public sealed class PoolDefinitionsTests
{
    private static readonly AllowedImage Nginx = new() { Image = "nginx:alpine", MaxMemory = "512m", MaxCpus = 1, User = "101:101" };
    private static readonly AllowedImage Kv = new() { Image = "messaging-test/kv:latest", MaxMemory = "256m", MaxCpus = 0.5, User = "101:101" };

    private static CreateServicePolicy Policy() =>
        new(Options.Create(new ImagePolicyOptions { AllowedImages = [Nginx, Kv], MaxMemory = "1g", MaxCpus = 2 }), new CreateServiceCommandValidator());

    private static PoolDefinitions Pools(CreateServicePolicy policy, bool enabled = true, params PoolEntry[] entries) =>
        new(Options.Create(new PoolOptions
        {
            Enabled = enabled,
            Entries = entries.Length > 0 ? [.. entries] : [new PoolEntry { Image = "nginx:alpine", Memory = "256m", Cpus = 0.5 }],
        }), policy);

    private static ApprovedService Approve(CreateServicePolicy policy, CreateService command) =>
        policy.Evaluate(command).Approved ?? throw new InvalidOperationException("refused");

    private static CreateService Request() => new()
    {
        CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "web", Image = "nginx:alpine", MemoryLimit = "128m", CpuLimit = 0.25,
        RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void The_same_image_within_the_profile_qualifies_whatever_its_restart_settings()
    {
        var policy = Policy();
        var pools = Pools(policy);
        var (pool, why) = pools.Match(Approve(policy, Request() with { Restart = RestartPolicies.Never, MaxRestarts = 1 }));
        Assert.Null(why);
        Assert.Equal("nginx-alpine-256m-0.5", pool!.Name);
        Assert.NotNull(pools.Match(Approve(policy, Request() with { MemoryLimit = "256m", CpuLimit = 0.5 })).Pool);
        Assert.NotNull(pools.Match(Approve(policy, Request() with { MemoryLimit = null, CpuLimit = null })).Pool); // the entry's defaults
    }

    [Theory]
    [InlineData("env")]
    [InlineData("hostnames")]
    [InlineData("internal_port")]
    [InlineData("memory")]
    [InlineData("cpus")]
    [InlineData("image")]
    public void What_is_fixed_at_creation_and_differs_from_the_member_does_not_qualify(string difference)
    {
        var policy = new CreateServicePolicy(
            Options.Create(new ImagePolicyOptions { AllowedImages = [Nginx, Kv], MaxMemory = "1g", MaxCpus = 2 }), new CreateServiceCommandValidator(),
            hostnames: Options.Create(new Messaging.Validation.Hostnames.HostnameOptions { BaseDomain = "svc.example.test", AllowedSuffixes = [".example.test"] }));
        var pools = Pools(policy);
        var request = difference switch
        {
            "env" => Request() with { Env = new Dictionary<string, string> { ["A"] = "b" } },
            "hostnames" => Request() with { Hostnames = ["web.example.test"] },
            "internal_port" => Request() with { InternalPort = 8080 },
            "memory" => Request() with { MemoryLimit = "257m" },
            "cpus" => Request() with { CpuLimit = 0.75 },
            _ => Request() with { Image = "messaging-test/kv:latest", MemoryLimit = "64m" },
        };
        var (pool, why) = pools.Match(Approve(policy, request));
        Assert.Null(pool);
        Assert.Equal(difference switch { "memory" or "cpus" => "limits", "image" => "no_pool", _ => difference }, why);
    }

    [Fact]
    public void The_smallest_profile_that_fits_wins_and_pools_are_off_by_default()
    {
        var policy = Policy();
        var pools = Pools(policy, true,
            new PoolEntry { Image = "nginx:alpine", Memory = "512m", Cpus = 1 },
            new PoolEntry { Image = "nginx:alpine", Memory = "128m", Cpus = 0.25 });
        Assert.Equal("nginx-alpine-128m-0.25", pools.Match(Approve(policy, Request())).Pool!.Name);
        Assert.Equal("nginx-alpine-512m-1", pools.Match(Approve(policy, Request() with { MemoryLimit = "300m" })).Pool!.Name);
        Assert.Empty(Pools(policy, enabled: false).All);
        Assert.False(new PoolOptions().Enabled);
    }

    [Fact]
    public void A_pool_the_policy_would_refuse_stops_the_worker_at_start()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Pools(Policy(), true, new PoolEntry { Image = "ubuntu:latest" }));
        Assert.Contains("image_not_allowed", error.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => Pools(Policy(), true, new PoolEntry { Image = "nginx:alpine", Memory = "2g" }));
    }

    [Fact]
    public void A_member_is_built_by_the_service_spec_builder_with_pool_labels_instead_of_service_labels()
    {
        var policy = Policy();
        var pool = Pools(policy).All[0];
        var docker = Options.Create(new DockerOptions { Instance = "unit" });
        var factory = new PoolMemberFactory(null!, null!, new ContainerSpecBuilder(docker), null!, Options.Create(new PoolOptions()), null!);
        var memberId = Guid.NewGuid();
        var spec = factory.SpecFor(pool, memberId, 15000);
        var cold = new ContainerSpecBuilder(docker).Build(Approve(policy, Request() with { MemoryLimit = "256m", CpuLimit = 0.5 }), 15000);

        Assert.Equal($"unit-pool-{memberId:N}", spec.Name);
        Assert.Equal(memberId.ToString("D"), spec.Labels[PoolLabels.Member]);
        Assert.Equal(pool.Name, spec.Labels[PoolLabels.Pool]);
        Assert.Equal("unit", spec.Labels[ContainerLabels.Instance]);
        Assert.False(spec.Labels.ContainsKey(ContainerLabels.ServiceId));
        Assert.False(spec.Labels.ContainsKey(ContainerLabels.Owner));
        // Everything else is what a cold creation with the pool's profile gets.
        Assert.Equal((cold.Image, cold.User, cold.ReadOnlyRootfs, cold.MemoryBytes, cold.NanoCpus, cold.PidsLimit, cold.Network, cold.Port, cold.Logs),
            (spec.Image, spec.User, spec.ReadOnlyRootfs, spec.MemoryBytes, spec.NanoCpus, spec.PidsLimit, spec.Network, spec.Port, spec.Logs));
        Assert.Equal(cold.Capabilities, spec.Capabilities);
        Assert.Equal(cold.Tmpfs, spec.Tmpfs);
        Assert.Empty(spec.Env);
        Assert.Equal(PoolLabels.MemberOf(spec.Labels), memberId);
    }
}
