using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

public class CreateServicePolicyTests
{
    private const string PinnedDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string OtherDigest = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    private static readonly AllowedImage Nginx = new()
    {
        Image = "nginx:alpine",
        MaxMemory = "512m",
        MaxCpus = 1,
        Capabilities = ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"],
    };

    private static readonly AllowedImage Whoami = new()
    {
        Image = "traefik/whoami:v1.10",
        InternalPort = 8080,
    };

    private static CreateServicePolicy Policy(params AllowedImage[] allowed) =>
        new(Options.Create(new ImagePolicyOptions { AllowedImages = [.. allowed], MaxMemory = "1g", MaxCpus = 2 }),
            new CreateServiceCommandValidator());

    private static CreateServicePolicy DefaultPolicy() => Policy(Nginx, Whoami);

    private static ApprovedService Approve(CreateServicePolicy policy, CreateService command)
    {
        var (approved, refusal) = policy.Evaluate(command);
        Assert.Null(refusal);
        Assert.NotNull(approved);
        return approved;
    }

    private static Refusal Refuse(CreateServicePolicy policy, CreateService command)
    {
        var (approved, refusal) = policy.Evaluate(command);
        Assert.Null(approved);
        Assert.NotNull(refusal);
        return refusal;
    }

    [Fact]
    public void Allowed_image_is_approved_with_memory_in_bytes_and_the_default_port()
    {
        var command = TestCommands.Valid();
        var approved = Approve(DefaultPolicy(), command);

        Assert.Equal(command, approved.Command);
        Assert.Same(Nginx, approved.Entry);
        Assert.Equal("nginx:alpine", approved.Image);
        Assert.Equal(128L * 1024 * 1024, approved.MemoryBytes);
        Assert.Equal(80, approved.InternalPort);
    }

    [Fact]
    public void Requested_port_is_used_when_given()
    {
        var approved = Approve(DefaultPolicy(), TestCommands.Valid() with { InternalPort = 8081 });
        Assert.Equal(8081, approved.InternalPort);
    }

    [Fact]
    public void Entry_port_is_the_default_for_its_image()
    {
        var approved = Approve(DefaultPolicy(), TestCommands.Valid() with { Image = "traefik/whoami:v1.10" });
        Assert.Equal(8080, approved.InternalPort);
        Assert.Same(Whoami, approved.Entry);
    }

    [Theory]
    [InlineData("docker.io/library/nginx:alpine")]
    [InlineData("library/nginx:alpine")]
    [InlineData("index.docker.io/library/nginx:alpine")]
    public void Fully_qualified_spelling_is_approved_as_the_same_image(string image)
    {
        var approved = Approve(DefaultPolicy(), TestCommands.Valid() with { Image = image });
        Assert.Same(Nginx, approved.Entry);
        // The engine is given the operator's spelling, never the requester's.
        Assert.Equal("nginx:alpine", approved.Image);
    }

    [Theory]
    [InlineData("nginx:latest")]
    [InlineData("nginx")]
    [InlineData("ubuntu")]
    [InlineData("ubuntu:22.04")]
    [InlineData("evil.example.com/library/nginx:alpine")]
    [InlineData("someone/nginx:alpine")]
    [InlineData("localhost/nginx:alpine")]
    [InlineData("nginx:Alpine")]
    [InlineData("traefik/whoami:latest")]
    public void Image_not_on_the_allowlist_is_refused(string image)
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { Image = image });
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal.Reason);
    }

    [Fact]
    public void More_restarts_than_the_supervisor_cap_are_refused_and_a_bad_policy_is_an_invalid_command()
    {
        var capped = new CreateServicePolicy(
            Options.Create(new ImagePolicyOptions { AllowedImages = [Nginx], MaxMemory = "1g", MaxCpus = 2 }), new CreateServiceCommandValidator(),
            Options.Create(new Messaging.Worker.Supervision.SupervisorOptions { MaxRestartsCap = 5 }));
        Approve(capped, TestCommands.Valid() with { MaxRestarts = 5, Restart = RestartPolicies.Never, OnUnhealthy = UnhealthyActions.Report });
        Assert.Equal(FailureReasons.LimitExceeded, Refuse(capped, TestCommands.Valid() with { MaxRestarts = 6 }).Reason);
        Assert.Equal(FailureReasons.InvalidCommand, Refuse(capped, TestCommands.Valid() with { Restart = "sometimes" }).Reason);
        Assert.Equal(FailureReasons.InvalidCommand, Refuse(capped, TestCommands.Valid() with { OnUnhealthy = "ignore" }).Reason);
    }

    [Fact]
    public void Memory_above_the_image_cap_is_refused()
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { MemoryLimit = "513m" });
        Assert.Equal(FailureReasons.LimitExceeded, refusal.Reason);
        Assert.Contains("512m", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("512m")]
    [InlineData("524288k")]
    public void Memory_at_the_image_cap_is_approved(string memory)
    {
        var approved = Approve(DefaultPolicy(), TestCommands.Valid() with { MemoryLimit = memory });
        Assert.Equal(512L * 1024 * 1024, approved.MemoryBytes);
    }

    [Fact]
    public void Cpu_above_the_image_cap_is_refused()
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { CpuLimit = 1.5 });
        Assert.Equal(FailureReasons.LimitExceeded, refusal.Reason);
    }

    [Fact]
    public void Cpu_at_the_image_cap_is_approved() =>
        Approve(DefaultPolicy(), TestCommands.Valid() with { CpuLimit = 1 });

    [Theory]
    [InlineData(2.5)]
    [InlineData(2.0001)]
    [InlineData(64)]
    public void Without_an_image_cap_cpu_above_the_global_cap_is_refused(double cpus)
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { Image = "traefik/whoami:v1.10", CpuLimit = cpus });
        Assert.Equal(FailureReasons.LimitExceeded, refusal.Reason);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1.5)]
    public void Without_an_image_cap_cpu_up_to_the_global_cap_is_approved(double cpus) =>
        Approve(DefaultPolicy(), TestCommands.Valid() with { Image = "traefik/whoami:v1.10", CpuLimit = cpus });

    [Theory]
    [InlineData("1g")]
    [InlineData("1024m")]
    public void Without_an_image_cap_memory_up_to_the_global_cap_is_approved(string memory)
    {
        var approved = Approve(DefaultPolicy(), TestCommands.Valid() with { Image = "traefik/whoami:v1.10", MemoryLimit = memory });
        Assert.Equal(1024L * 1024 * 1024, approved.MemoryBytes);
    }

    [Theory]
    [InlineData("1025m")]
    [InlineData("2g")]
    [InlineData("1024g")]
    public void Without_an_image_cap_memory_above_the_global_cap_is_refused(string memory)
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { Image = "traefik/whoami:v1.10", MemoryLimit = memory });
        Assert.Equal(FailureReasons.LimitExceeded, refusal.Reason);
    }

    [Fact]
    public void An_image_cap_above_the_global_cap_does_not_raise_it()
    {
        var generous = new AllowedImage { Image = "nginx:alpine", MaxMemory = "4g", MaxCpus = 8 };
        var policy = Policy(generous);

        Assert.Equal(FailureReasons.LimitExceeded,
            Refuse(policy, TestCommands.Valid() with { MemoryLimit = "2g" }).Reason);
        Assert.Equal(FailureReasons.LimitExceeded,
            Refuse(policy, TestCommands.Valid() with { CpuLimit = 4 }).Reason);
        Approve(policy, TestCommands.Valid() with { MemoryLimit = "1g", CpuLimit = 2 });
    }

    [Fact]
    public void Invalid_command_is_refused_before_any_allowlist_check()
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { ServiceName = "Bad Name", Image = "ubuntu" });
        Assert.Equal(FailureReasons.InvalidCommand, refusal.Reason);
        Assert.Contains(nameof(CreateService.ServiceName), refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_command_is_refused_before_any_cap_check()
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { CpuLimit = 100, MemoryLimit = "2048g" });
        Assert.Equal(FailureReasons.InvalidCommand, refusal.Reason);
    }

    [Fact]
    public void Invalid_command_is_refused_even_with_an_empty_allowlist()
    {
        var refusal = Refuse(Policy(), TestCommands.Valid() with { ServiceName = "../x" });
        Assert.Equal(FailureReasons.InvalidCommand, refusal.Reason);
    }

    [Fact]
    public void Empty_allowlist_refuses_every_image()
    {
        var refusal = Refuse(Policy(), TestCommands.Valid());
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal.Reason);
    }

    [Fact]
    public void Digest_pinned_entry_approves_the_tag_and_runs_the_pinned_reference()
    {
        var pinned = new AllowedImage { Image = "nginx:alpine@" + PinnedDigest, MaxMemory = "512m", MaxCpus = 1 };
        var approved = Approve(Policy(pinned), TestCommands.Valid());

        Assert.Same(pinned, approved.Entry);
        Assert.Equal("docker.io/library/nginx:alpine@" + PinnedDigest, approved.Image);
    }

    [Fact]
    public void Digest_pinned_entry_approves_a_request_naming_the_same_digest()
    {
        var pinned = new AllowedImage { Image = "nginx:alpine@" + PinnedDigest };
        var approved = Approve(Policy(pinned), TestCommands.Valid() with { Image = "nginx:alpine@" + PinnedDigest });
        Assert.Equal("docker.io/library/nginx:alpine@" + PinnedDigest, approved.Image);
    }

    [Fact]
    public void Digest_pinned_entry_refuses_a_request_pinning_another_digest()
    {
        var pinned = new AllowedImage { Image = "nginx:alpine@" + PinnedDigest };
        var refusal = Refuse(Policy(pinned), TestCommands.Valid() with { Image = "nginx:alpine@" + OtherDigest });
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal.Reason);
    }

    [Fact]
    public void Digest_pinned_entry_refuses_another_tag()
    {
        var pinned = new AllowedImage { Image = "nginx:alpine@" + PinnedDigest };
        var refusal = Refuse(Policy(pinned), TestCommands.Valid() with { Image = "nginx:latest" });
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal.Reason);
    }

    [Fact]
    public void Unpinned_entry_refuses_a_request_that_pins_a_digest()
    {
        // Running the entry's tag would create other bytes than the pin the record reports: refuse instead.
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { Image = "nginx:alpine@" + OtherDigest });
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal.Reason);
        Assert.Contains("pins a digest", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_entries_are_ignored_rather_than_matched()
    {
        var broken = new AllowedImage { Image = "NOT AN IMAGE" };
        var refusal = Refuse(Policy(broken), TestCommands.Valid() with { Image = "nginx:alpine" });
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal.Reason);
    }

    [Fact]
    public void Absent_limits_become_the_entry_defaults_and_the_approved_command_carries_them()
    {
        var redis = new AllowedImage { Image = "redis:7", MaxMemory = "512m", DefaultMemory = "256m", DefaultCpus = 0.25 };
        var approved = Approve(Policy(redis), TestCommands.Valid() with { Image = "redis:7", MemoryLimit = null, CpuLimit = null });

        Assert.Equal("256m", approved.Command.MemoryLimit);
        Assert.Equal(0.25, approved.Command.CpuLimit);
        Assert.Equal(256L * 1024 * 1024, approved.MemoryBytes);
        Assert.Equal(0.25, approved.CpuLimit);
    }

    [Fact]
    public void An_entry_without_defaults_gets_the_global_ones()
    {
        var approved = Approve(DefaultPolicy(), TestCommands.Valid() with { MemoryLimit = null, CpuLimit = null });
        Assert.Equal(new ImagePolicyOptions().DefaultMemory, approved.Command.MemoryLimit);
        Assert.Equal(new ImagePolicyOptions().DefaultCpus, approved.CpuLimit);
    }

    [Fact]
    public void Only_the_absent_limit_is_defaulted()
    {
        var redis = new AllowedImage { Image = "redis:7", DefaultMemory = "256m", DefaultCpus = 0.25 };
        var approved = Approve(Policy(redis), TestCommands.Valid() with { Image = "redis:7", MemoryLimit = "64m", CpuLimit = null });
        Assert.Equal("64m", approved.Command.MemoryLimit);
        Assert.Equal(0.25, approved.CpuLimit);
    }

    [Fact]
    public void A_given_limit_above_the_cap_is_still_refused_when_the_other_is_defaulted()
    {
        var refusal = Refuse(DefaultPolicy(), TestCommands.Valid() with { MemoryLimit = "513m", CpuLimit = null });
        Assert.Equal(FailureReasons.LimitExceeded, refusal.Reason);
    }

    [Fact]
    public void Request_is_not_modified_by_evaluation()
    {
        var command = TestCommands.Valid() with { Image = "docker.io/library/nginx:alpine" };
        var copy = command with { };
        Approve(DefaultPolicy(), command);
        Assert.Equal(copy, command);
    }
}
