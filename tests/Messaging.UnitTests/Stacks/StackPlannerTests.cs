using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Policy;
using Messaging.Worker.Stacks;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests.Stacks;

/// <summary>The worker's own judgement of a stack: the file again, then every member through the service policy.</summary>
public sealed class StackPlannerTests
{
    private static readonly StackPlanner Planner = new(new CreateServicePolicy(
        Options.Create(new ImagePolicyOptions
        {
            AllowedImages =
            [
                new AllowedImage { Image = "nginx:alpine", MaxMemory = "256m", MaxCpus = 1, DefaultMemory = "64m", DefaultCpus = 0.25 },
                new AllowedImage { Image = "messaging-test/busybox:latest", MaxMemory = "256m", MaxCpus = 1, DefaultMemory = "64m", DefaultCpus = 0.25, AllowCommand = true },
            ],
            MaxMemory = "1g", MaxCpus = 2,
        }),
        new CreateServiceCommandValidator()));

    private static CreateStack Command(string file, string name = "shop") => new()
    {
        CommandId = Guid.NewGuid(), StackId = Guid.NewGuid(), StackName = name, ComposeFile = file,
        RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void Every_member_is_approved_with_the_entry_defaults_and_a_service_name_of_its_stack()
    {
        var command = Command("services:\n  web:\n    image: nginx:alpine\n    ports: [\"80\"]\n  db:\n    image: nginx:alpine\n    deploy: {resources: {limits: {memory: 128m}}}\n");
        var (plan, refusal) = Planner.Plan(command, "alice");

        Assert.Null(refusal);
        Assert.Equal(["shop-web", "shop-db"], plan!.Members.Select(m => m.ServiceName));
        Assert.Equal("web", plan.Public!.Name);
        Assert.Equal(64L << 20, plan.Members[0].Approved.MemoryBytes);
        Assert.Equal(128L << 20, plan.Members[1].Approved.MemoryBytes);
        Assert.All(plan.Members, m => Assert.Equal("alice", m.Approved.Command.RequestedBy));
        Assert.All(plan.Members, m => Assert.Equal(StackPlan.MemberId(command.StackId, m.Name), m.ServiceId));
    }

    [Fact]
    public void Member_ids_derive_from_the_stack_and_the_member_only()
    {
        var stack = Guid.NewGuid();
        Assert.Equal(StackPlan.MemberId(stack, "web"), StackPlan.MemberId(stack, "web"));
        Assert.NotEqual(StackPlan.MemberId(stack, "web"), StackPlan.MemberId(stack, "db"));
        Assert.NotEqual(StackPlan.MemberId(stack, "web"), StackPlan.MemberId(Guid.NewGuid(), "web"));
    }

    [Fact]
    public void A_file_published_straight_to_the_broker_is_parsed_again_and_refused_at_the_key()
    {
        var (plan, refusal) = Planner.Plan(Command("services:\n  db:\n    image: nginx:alpine\n    privileged: true\n"), "alice");

        Assert.Null(plan);
        Assert.Equal(FailureReasons.InvalidCommand, refusal!.Reason);
        Assert.Equal("db", refusal.Member);
        Assert.Contains("services.db.privileged", refusal.Message);
    }

    [Fact]
    public void One_member_off_the_allowlist_refuses_the_stack_and_names_it()
    {
        var (plan, refusal) = Planner.Plan(Command("services:\n  web:\n    image: nginx:alpine\n  db:\n    image: postgres:16\n"), "alice");

        Assert.Null(plan);
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal!.Reason);
        Assert.Equal("db", refusal.Member);
        Assert.StartsWith("services.db:", refusal.Message);
    }

    [Fact]
    public void A_member_over_the_cap_is_refused_with_limit_exceeded()
    {
        var (_, refusal) = Planner.Plan(Command("services:\n  web:\n    image: nginx:alpine\n    deploy: {resources: {limits: {memory: 512m}}}\n"), "alice");
        Assert.Equal(FailureReasons.LimitExceeded, refusal!.Reason);
        Assert.Equal("web", refusal.Member);
    }

    [Theory]
    [InlineData("command: [\"sh\", \"-c\", \"id\"]", "services.web.command")]
    [InlineData("entrypoint: [\"/bin/sh\"]", "services.web.entrypoint")]
    [InlineData("command: sh -c id", "services.web.command")]
    public void A_command_or_entrypoint_is_refused_for_an_entry_that_does_not_permit_them(string line, string path)
    {
        var (plan, refusal) = Planner.Plan(Command($"services:\n  ok:\n    image: messaging-test/busybox:latest\n  web:\n    image: nginx:alpine\n    {line}\n"), "alice");
        Assert.Null(plan);
        Assert.Equal(FailureReasons.ImageNotAllowed, refusal!.Reason);
        Assert.Equal("web", refusal.Member);
        Assert.StartsWith(path + ": not permitted for nginx:alpine", refusal.Message);
    }

    [Fact]
    public void A_command_and_entrypoint_are_kept_for_an_entry_that_sets_allow_command()
    {
        var (plan, refusal) = Planner.Plan(Command(
            "services:\n  job:\n    image: messaging-test/busybox:latest\n    entrypoint: [\"/bin/sh\", \"-c\"]\n    command: [\"echo hi; sleep 5\"]\n"), "alice");
        Assert.Null(refusal);
        var member = Assert.Single(plan!.Members);
        Assert.Equal(["/bin/sh", "-c"], member.Definition.Entrypoint!);
        Assert.Equal(["echo hi; sleep 5"], member.Definition.Command!);
    }

    /// <summary>
    /// Issue 16: "images in templates pinned by digest where the allowlist has one". A template (rendered to a stack
    /// file) names the tag; the member runs the entry's pinned digest, as a plain service does, and a member naming
    /// another digest is refused.
    /// </summary>
    [Fact]
    public void A_member_of_a_digest_pinned_entry_runs_the_pinned_digest_and_another_digest_is_refused()
    {
        const string pinned = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var planner = new StackPlanner(new CreateServicePolicy(
            Options.Create(new ImagePolicyOptions
            {
                AllowedImages = [new AllowedImage { Image = "messaging-test/kv:latest@" + pinned, MaxMemory = "256m", MaxCpus = 1 }],
                MaxMemory = "1g", MaxCpus = 2,
            }),
            new CreateServiceCommandValidator()));

        var (plan, refusal) = planner.Plan(Command("services:\n  store:\n    image: messaging-test/kv:latest\n"), "alice");
        Assert.Null(refusal);
        Assert.Equal("docker.io/messaging-test/kv:latest@" + pinned, Assert.Single(plan!.Members).Approved.Image);

        var other = "sha256:" + new string('f', 64);
        var (_, refused) = planner.Plan(Command($"services:\n  store:\n    image: messaging-test/kv:latest@{other}\n"), "alice");
        Assert.Equal(FailureReasons.ImageNotAllowed, refused!.Reason);
        Assert.Equal("store", refused.Member);
    }

    [Theory]
    [InlineData("Shop")]
    [InlineData("-shop")]
    [InlineData("")]
    public void A_bad_stack_name_is_refused(string name)
    {
        var (_, refusal) = Planner.Plan(Command("services:\n  web:\n    image: nginx:alpine\n", name), "alice");
        Assert.Equal(FailureReasons.InvalidCommand, refusal!.Reason);
        Assert.Null(refusal.Member);
    }

    [Fact]
    public void A_member_name_too_long_with_its_stack_name_is_refused()
    {
        var (_, refusal) = Planner.Plan(Command($"services:\n  {new string('m', 60)}:\n    image: nginx:alpine\n", "shop"), "alice");
        Assert.Equal(FailureReasons.InvalidCommand, refusal!.Reason);
        Assert.Contains("longer than 63", refusal.Message);
    }
}
