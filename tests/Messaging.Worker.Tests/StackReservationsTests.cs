using Messaging.State.Reservations;
using Messaging.State.Stacks;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>The whole-stack reservation against the real Redis (<c>reserve-stack.lua</c> is the logic under test).</summary>
[Trait("Requires", "Redis")]
public sealed class StackReservationsTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private StackReservations Stacks => _worker.Services.GetRequiredService<StackReservations>();
    private PortReservations Services => _worker.Services.GetRequiredService<PortReservations>();

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync(portMin: 15400, portMax: 15401);
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private static MemberAllocation Member(string name, bool isPublic = false, long memory = 64L << 20, double cpus = 0.25) =>
        new(Guid.NewGuid(), name, memory, cpus, isPublic);

    private async Task<long> Used(string owner, string field) =>
        (long?)await _worker.Redis.HashGetAsync(_worker.Keys.Usage(owner), field) ?? 0;

    [Fact]
    public async Task A_stack_reserves_every_name_the_sum_of_its_shares_and_one_port_for_its_public_member()
    {
        var members = new[] { Member("s1-web", isPublic: true), Member("s1-db"), Member("s1-cache") };
        var reserved = await Stacks.ReserveAsync("alice", Quota.Unlimited, members, null, default);

        Assert.Equal(ReserveOutcome.Reserved, reserved.Outcome);
        Assert.InRange(reserved.PublicPort!.Value, 15400, 15401);
        Assert.Equal(3, await Used("alice", "services"));
        Assert.Equal(3 * (64L << 20), await Used("alice", "memory_bytes"));
        Assert.Equal(750, await Used("alice", "millicpus"));
        Assert.Equal(1, await _worker.Redis.HashLengthAsync(_worker.Keys.Ports));
        foreach (var member in members)
            Assert.Equal(member.ServiceId.ToString("D"), (string?)await _worker.Redis.HashGetAsync(_worker.Keys.Names, member.ServiceName));
    }

    [Fact]
    public async Task Reserving_the_same_stack_again_counts_nothing_twice_and_keeps_the_port()
    {
        var members = new[] { Member("s2-web", isPublic: true), Member("s2-db") };
        var first = await Stacks.ReserveAsync("bob", Quota.Unlimited, members, null, default);
        var again = await Stacks.ReserveAsync("bob", Quota.Unlimited, members, null, default);

        Assert.Equal(first.PublicPort, again.PublicPort);
        Assert.Equal(2, await Used("bob", "services"));
    }

    [Fact]
    public async Task A_stack_over_the_quota_is_refused_whole_and_reserves_nothing()
    {
        var quota = new Quota(MaxServices: 2, MaxMemoryBytes: null, MaxCpus: null);
        var refused = await Stacks.ReserveAsync("carol", quota, [Member("s3-a", isPublic: true), Member("s3-b"), Member("s3-c")], null, default);

        Assert.Equal(ReserveOutcome.QuotaExceeded, refused.Outcome);
        Assert.Equal("services", refused.Detail);
        Assert.Equal(0, await Used("carol", "services"));
        Assert.Equal(0, await _worker.Redis.HashLengthAsync(_worker.Keys.Names));
        Assert.Equal(0, await _worker.Redis.HashLengthAsync(_worker.Keys.Ports));
    }

    [Fact]
    public async Task A_stack_over_the_memory_quota_or_the_host_budget_is_refused_whole()
    {
        var memoryQuota = new Quota(null, MaxMemoryBytes: 100L << 20, null);
        Assert.Equal("memory", (await Stacks.ReserveAsync("dave", memoryQuota, [Member("s4-a"), Member("s4-b")], null, default)).Detail);
        var host = new HostBudget(MemoryBytes: null, Cpus: 0.4);
        var refused = await Stacks.ReserveAsync("dave", Quota.Unlimited, [Member("s4-a"), Member("s4-b")], host, default);
        Assert.Equal(ReserveOutcome.HostCapacityExceeded, refused.Outcome);
        Assert.Equal(0, await _worker.Redis.HashLengthAsync(_worker.Keys.Names));
    }

    [Fact]
    public async Task One_taken_name_refuses_the_stack_and_names_it()
    {
        await Services.ReserveAsync(Guid.NewGuid(), "s5-db", Allocation.Uncounted(), null, default);
        var refused = await Stacks.ReserveAsync("erin", Quota.Unlimited, [Member("s5-web", isPublic: true), Member("s5-db")], null, default);

        Assert.Equal(ReserveOutcome.NameTaken, refused.Outcome);
        Assert.Equal("s5-db", refused.Detail);
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Names, "s5-web"));
        Assert.Equal(0, await Used("erin", "services"));
    }

    [Fact]
    public async Task A_stack_whose_public_member_finds_no_port_is_refused_whole()
    {
        await Services.ReserveAsync(Guid.NewGuid(), "p1", Allocation.Uncounted(), null, default);
        await Services.ReserveAsync(Guid.NewGuid(), "p2", Allocation.Uncounted(), null, default);
        var refused = await Stacks.ReserveAsync("frank", Quota.Unlimited, [Member("s6-web", isPublic: true), Member("s6-db")], null, default);

        Assert.Equal(ReserveOutcome.Exhausted, refused.Outcome);
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Names, "s6-db"));
        Assert.Equal(0, await Used("frank", "services"));
        // Members without a public port need none: the range being full does not stop them.
        Assert.Equal(ReserveOutcome.Reserved, (await Stacks.ReserveAsync("frank", Quota.Unlimited, [Member("s7-db")], null, default)).Outcome);
    }

    [Fact]
    public async Task Releasing_the_members_gives_everything_back()
    {
        var members = new[] { Member("s8-web", isPublic: true), Member("s8-db") };
        await Stacks.ReserveAsync("gina", Quota.Unlimited, members, null, default);
        await Stacks.ReleaseAsync(members.Select(m => (m.ServiceId, m.ServiceName)));

        Assert.Equal(0, await Used("gina", "services"));
        Assert.Equal(0, await Used("gina", "memory_bytes"));
        Assert.Equal(0, await _worker.Redis.HashLengthAsync(_worker.Keys.Names));
        Assert.Equal(0, await _worker.Redis.HashLengthAsync(_worker.Keys.Ports));
    }
}
