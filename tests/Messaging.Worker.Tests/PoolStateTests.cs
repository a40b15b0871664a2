using Messaging.State.Pools;
using Messaging.State.Reservations;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>The warm pools' Redis scripts against the real Redis (issue 20): budget, claim, give-back.</summary>
[Trait("Requires", "Redis")]
public sealed class PoolStateTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private PoolState Pools => _worker.Services.GetRequiredService<PoolState>();
    private PortReservations Reservations => _worker.Services.GetRequiredService<PortReservations>();

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync(portMin: 15300, portMax: 15309);
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private async Task<(Guid Member, int Port)> IdleMemberAsync(string pool = "p")
    {
        var member = Guid.NewGuid();
        var (outcome, port) = await Pools.ReserveMemberAsync(pool, member, budget: 4, default);
        Assert.Equal(MemberReserveOutcome.Reserved, outcome);
        Assert.True(await Pools.MarkReadyAsync(pool, member, $"container-{member:N}"));
        return (member, port);
    }

    [Fact]
    public async Task A_claim_moves_the_members_port_name_and_quota_share_to_the_service_once()
    {
        var (member, port) = await IdleMemberAsync();
        Assert.Equal($"pool:{member:D}", (string?)await _worker.Redis.HashGetAsync(_worker.Keys.Ports, port));
        var service = Guid.NewGuid();
        var allocation = new Allocation("alice", 64L << 20, 0.25, Quota.Unlimited);

        var (outcome, claimed) = await Pools.ClaimAsync("p", service, "web", allocation, HostBudget.Unlimited, default);
        Assert.Equal(PoolClaimOutcome.Claimed, outcome);
        Assert.Equal((member, port), (claimed!.MemberId, claimed.HostPort));
        Assert.Equal(service.ToString("D"), (string?)await _worker.Redis.HashGetAsync(_worker.Keys.Ports, port));
        Assert.Equal(port, await Reservations.FindPortAsync(service));
        Assert.Equal(service.ToString("D"), (string?)await _worker.Redis.HashGetAsync(_worker.Keys.Names, "web"));
        Assert.Equal(1, (int)await _worker.Redis.HashGetAsync(_worker.Keys.Usage("alice"), "services"));
        Assert.Empty(await Pools.MembersAsync()); // out of the pool budget

        // A redelivery gets the same member back and counts nothing twice.
        var (again, same) = await Pools.ClaimAsync("p", service, "web", allocation, HostBudget.Unlimited, default);
        Assert.Equal((PoolClaimOutcome.Claimed, member), (again, same!.MemberId));
        Assert.Equal(1, (int)await _worker.Redis.HashGetAsync(_worker.Keys.Usage("alice"), "services"));

        // Released like any service's reservation.
        await Reservations.ReleaseAsync(service, "web");
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Ports, port));
    }

    [Fact]
    public async Task Refused_claims_take_no_member()
    {
        var (member, _) = await IdleMemberAsync();
        var holder = Guid.NewGuid();
        Assert.Equal(ReserveOutcome.Reserved, (await Reservations.ReserveAsync(holder, "taken", Allocation.Uncounted(), null, default)).Outcome);
        var small = new Allocation("bob", 64L << 20, 0.25, new Quota(0, null, null));

        Assert.Equal(PoolClaimOutcome.NameTaken, (await Pools.ClaimAsync("p", Guid.NewGuid(), "taken", Allocation.Uncounted(), HostBudget.Unlimited, default)).Outcome);
        Assert.Equal(PoolClaimOutcome.QuotaExceeded, (await Pools.ClaimAsync("p", Guid.NewGuid(), "b", small, HostBudget.Unlimited, default)).Outcome);
        Assert.Equal(PoolClaimOutcome.HostCapacityExceeded,
            (await Pools.ClaimAsync("p", Guid.NewGuid(), "c", Allocation.Uncounted() with { MemoryBytes = 10 }, new HostBudget(5, null), default)).Outcome);
        // A service that already holds a port (an earlier cold attempt) stays cold.
        Assert.Equal(PoolClaimOutcome.HasPort, (await Pools.ClaimAsync("p", holder, "taken", Allocation.Uncounted(), HostBudget.Unlimited, default)).Outcome);
        Assert.Equal(PoolClaimOutcome.Empty, (await Pools.ClaimAsync("other-pool", Guid.NewGuid(), "d", Allocation.Uncounted(), HostBudget.Unlimited, default)).Outcome);
        Assert.Equal([member], (await Pools.MembersAsync()).Where(m => m.State == PoolMemberStates.Idle).Select(m => m.MemberId));
    }

    [Fact]
    public async Task The_budget_bounds_members_and_a_forgotten_member_gives_its_port_back()
    {
        var members = new List<(Guid, int)>();
        for (var i = 0; i < 4; i++)
            members.Add(await IdleMemberAsync());
        Assert.Equal(MemberReserveOutcome.BudgetFull, (await Pools.ReserveMemberAsync("p", Guid.NewGuid(), budget: 4, default)).Outcome);

        var (member, port) = members[0];
        Assert.True(await Pools.RetireAsync("p", member));
        Assert.Equal(PoolClaimOutcome.Claimed, (await Pools.ClaimAsync("p", Guid.NewGuid(), "x", Allocation.Uncounted(), HostBudget.Unlimited, default)).Outcome);
        Assert.True(await Pools.ForgetAsync("p", member));
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Ports, port));
        Assert.Equal(2, (await Pools.MembersAsync()).Count); // one retired and forgotten, one claimed

        // After a Redis loss the keeper puts a running member back; a port another service holds is a conflict.
        var lost = Guid.NewGuid();
        Assert.True(await Pools.RestoreAsync("p", lost, "c1", port));
        Assert.False(await Pools.RestoreAsync("p", lost, "c1", port));
        Assert.Null(await Pools.RestoreAsync("p", Guid.NewGuid(), "c2", port));
    }
}
