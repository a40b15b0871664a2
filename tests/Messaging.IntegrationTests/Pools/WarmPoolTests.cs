using Messaging.State.Pools;
using MassTransit;
using Messaging.Contracts;
using Messaging.State.Tokens;
using Messaging.Worker.Pools;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.IntegrationTests.Pools;

/// <summary>One pool worker for the claim tests (its pool of two nginx:alpine members refills between them).</summary>
public sealed class WarmPoolFixture : IAsyncLifetime
{
    public PoolWorker Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Worker = await PoolWorker.StartAsync("it-pools", 18500);
        // An owner whose quota allows no service at all (the hostile-request test).
        await Worker.Services.GetRequiredService<TokenStore>().SaveAsync(new TokenRecord
        {
            Id = "pool-zero", Name = "pool-zero", Scopes = ["services:write"], Sha256 = "00", CreatedAt = DateTimeOffset.UtcNow,
            MaxServices = 0,
        });
    }

    public async Task DisposeAsync() => await Worker.DisposeAsync();
}

/// <summary>Warm pools on the real engine (issue 20): claim, refill, the cold way for what does not qualify, hostile requests.</summary>
[Trait("Category", "Pools")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class WarmPoolTests(WarmPoolFixture fixture) : IClassFixture<WarmPoolFixture>
{
    private PoolWorker W => fixture.Worker;

    private static CreateService Command(string stem, string memory = "128m", double cpus = 0.25, string owner = "alice") => new()
    {
        CommandId = NewId.NextGuid(), ServiceId = Guid.NewGuid(), ServiceName = $"{stem}-{Guid.NewGuid():N}"[..24], Image = "nginx:alpine",
        MemoryLimit = memory, CpuLimit = cpus, RequestedBy = owner, RequestedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task A_qualifying_creation_claims_a_warm_member_with_its_name_and_limits_and_the_pool_refills()
    {
        var idle = await W.WaitForIdleAsync(2);
        var command = Command("warm");
        await W.Events.Publish(command);

        var created = await W.Events.WaitFor<ServiceCreated>(e => e.ServiceId == command.ServiceId);
        Assert.True(created.Warm);
        var inspect = await W.Docker.Containers.InspectContainerAsync(created.ContainerId);
        var memberId = Guid.Parse(inspect.Config!.Labels[PoolLabels.Member]);
        Assert.Contains(memberId, idle);
        Assert.Equal($"/{W.Instance}-{command.ServiceName}", inspect.Name);
        Assert.Equal(128L * 1024 * 1024, inspect.HostConfig!.Memory);
        Assert.Equal(inspect.HostConfig.Memory, inspect.HostConfig.MemorySwap);
        Assert.Equal(250_000_000L, inspect.HostConfig.NanoCPUs);
        // The hardening is the cold container's: it came from the same spec builder.
        Assert.Contains("no-new-privileges", inspect.HostConfig.SecurityOpt);
        Assert.Equal(["ALL"], inspect.HostConfig.CapDrop);
        Assert.True(inspect.HostConfig.ReadonlyRootfs);
        Assert.Equal("101:101", inspect.Config.User);
        Assert.Equal(created.HostPort.ToString(), Assert.Single(inspect.HostConfig.PortBindings["80/tcp"]).HostPort);
        Assert.Contains("messaging test image nginx:alpine", await ServingPort.GetStringAsync(created.HostPort));

        // The claim lives on the engine, and the record and reservation are the service's.
        var claim = await W.Services.GetRequiredService<PoolClaimBook>().FindAsync(memberId, CancellationToken.None);
        Assert.Equal(command.ServiceId, claim!.ServiceId);
        Assert.Equal("alice", claim.Owner);
        var record = await W.Services.GetRequiredService<Messaging.State.ServiceRecordStore>().GetAsync(command.ServiceId);
        Assert.Equal(created.ContainerId, record!.ContainerId);
        Assert.Equal(command.ServiceId.ToString("D"), (string?)await W.Redis.HashGetAsync(W.Keys.Ports, created.HostPort));

        // The pool refills to its size with a new member.
        var refilled = await W.WaitForIdleAsync(2);
        Assert.DoesNotContain(memberId, refilled);
    }

    [Fact]
    public async Task A_creation_asking_for_the_pools_own_profile_keeps_the_members_limits_without_an_update()
    {
        await W.WaitForIdleAsync(2);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds();
        var command = Command("warm-same", memory: "256m", cpus: 0.5); // the pool's profile (PoolWorker)
        await W.Events.Publish(command);

        var created = await W.Events.WaitFor<ServiceCreated>(e => e.ServiceId == command.ServiceId);
        Assert.True(created.Warm);
        var inspect = await W.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.Equal($"/{W.Instance}-{command.ServiceName}", inspect.Name);
        Assert.Equal(256L * 1024 * 1024, inspect.HostConfig!.Memory);
        Assert.Equal(inspect.HostConfig.Memory, inspect.HostConfig.MemorySwap);
        Assert.Equal(500_000_000L, inspect.HostConfig.NanoCPUs);
        Assert.Equal(256L, inspect.HostConfig.PidsLimit);
        // The engine's own event log: renamed, never updated (the update is a runc process, the claim's costliest call).
        var actions = new List<string>();
        using var until = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await W.Docker.System.MonitorEventsAsync(new Docker.DotNet.Models.ContainerEventsParameters
        {
            Since = since.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Until = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["container"] = new Dictionary<string, bool> { [created.ContainerId] = true } },
        }, new Collect(actions), until.Token);
        Assert.Contains("rename", actions);
        Assert.DoesNotContain("update", actions);
    }

    private sealed class Collect(List<string> actions) : IProgress<Docker.DotNet.Models.Message>
    {
        public void Report(Docker.DotNet.Models.Message value)
        {
            lock (actions)
                actions.Add(value.Action);
        }
    }

    [Fact]
    public async Task A_claimed_service_is_an_ordinary_service_stopped_started_and_removed_with_its_claim()
    {
        await W.WaitForIdleAsync(2);
        var command = Command("warm-life");
        await W.Events.Publish(command);
        var created = await W.Events.WaitFor<ServiceCreated>(e => e.ServiceId == command.ServiceId);
        Assert.True(created.Warm);
        var memberId = Guid.Parse((await W.Docker.Containers.InspectContainerAsync(created.ContainerId)).Config!.Labels[PoolLabels.Member]);

        var stop = new StopService { CommandId = NewId.NextGuid(), ServiceId = command.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await W.Events.Publish(stop);
        await W.Events.WaitFor<ServiceStopped>(e => e.CommandId == stop.CommandId);
        Assert.False((await W.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.Running);

        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = command.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await W.Events.Publish(remove);
        await W.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove.CommandId);
        Assert.DoesNotContain(await W.MemberContainersAsync(), c => c.ID == created.ContainerId);
        Assert.False(await W.Redis.HashExistsAsync(W.Keys.Ports, created.HostPort));
        // The keeper removes the claim whose container is gone.
        var claims = W.Services.GetRequiredService<PoolClaimBook>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await claims.ListAsync(CancellationToken.None)).Any(c => c.MemberId == memberId) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.DoesNotContain(await claims.ListAsync(CancellationToken.None), c => c.MemberId == memberId);
    }

    [Fact]
    public async Task Creations_that_do_not_qualify_go_cold_and_leave_the_pool_alone()
    {
        var idle = await W.WaitForIdleAsync(2);
        var withEnv = Command("cold-env") with { Env = new Dictionary<string, string> { ["GREETING"] = "hello" } };
        var overProfile = Command("cold-big", memory: "384m");
        var otherPort = Command("cold-port") with { InternalPort = 8080 };
        foreach (var command in new[] { withEnv, overProfile, otherPort })
            await W.Events.Publish(command);

        foreach (var command in new[] { withEnv, overProfile, otherPort })
        {
            var created = await W.Events.WaitFor<ServiceCreated>(e => e.ServiceId == command.ServiceId);
            Assert.False(created.Warm);
            var labels = (await W.Docker.Containers.InspectContainerAsync(created.ContainerId)).Config!.Labels;
            Assert.False(labels.ContainsKey(PoolLabels.Member));
            Assert.Equal(command.ServiceId.ToString("D"), labels["messaging.service-id"]);
        }
        Assert.Equal(idle.Order(), (await W.WaitForIdleAsync(2)).Order());
    }

    [Fact]
    public async Task Hostile_or_refused_requests_get_no_member()
    {
        var idle = await W.WaitForIdleAsync(2);
        var taken = Command("taken");
        await W.Events.Publish(taken);
        await W.Events.WaitFor<ServiceCreated>(e => e.ServiceId == taken.ServiceId);
        idle = await W.WaitForIdleAsync(2);

        var hostile = new[]
        {
            (Command("x") with { ServiceName = "../../etc" }, FailureReasons.InvalidCommand),
            (Command("priv") with { Env = new Dictionary<string, string> { ["LD_PRELOAD=/x"] = "y" } }, FailureReasons.InvalidCommand),
            (Command("other-image") with { Image = "ubuntu:latest" }, FailureReasons.ImageNotAllowed),
            (Command("greedy", memory: "8g"), FailureReasons.LimitExceeded),
            (Command("no-quota", owner: "pool-zero"), FailureReasons.QuotaExceeded),
            (Command("dup") with { ServiceName = taken.ServiceName }, FailureReasons.NameConflict),
        };
        foreach (var (command, _) in hostile)
            await W.Events.Publish(command);
        foreach (var (command, reason) in hostile)
        {
            var failed = await W.Events.WaitFor<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId);
            Assert.Equal(reason, failed.Reason);
        }
        // The same members are idle: none was claimed, renamed or given away.
        Assert.Equal(idle.Order(), (await W.State.MembersAsync()).Where(m => m.State == PoolMemberStates.Idle).Select(m => m.MemberId).Order());
        // No member carries a refused request's name (the duplicate's name is the taken service's own member).
        foreach (var container in await W.MemberContainersAsync())
            Assert.DoesNotContain(hostile, h => h.Item1.ServiceName != taken.ServiceName && container.Names.Single().Contains(h.Item1.ServiceName, StringComparison.Ordinal));
    }
}
