using MassTransit;
using Messaging.Contracts;
using Messaging.State.Reservations;
using Messaging.Worker.Containers;
using Messaging.Worker.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>
/// The host budget (issue 13 item 8): what all services together may hold of the host's memory and CPU, whoever owns
/// them, checked in the same atomic reservation as the quotas.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class HostBudgetTests : IAsyncDisposable
{
    private WorkerHarness? _worker;

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
            await _worker.DisposeAsync();
    }

    private async Task<WorkerHarness> Start(string? memory, string? cpus) =>
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["HostBudget:Memory"] = memory,
            ["HostBudget:Cpus"] = cpus,
        });

    private static CreateService For(string owner, string memory = "128m", double cpus = 0.25) =>
        WorkerHarness.Command(name: $"hb-{Guid.NewGuid():N}"[..20], memory: memory, cpus: cpus, owner: owner);

    private static async Task HandleAll(WorkerHarness worker, IReadOnlyList<CreateService> commands)
    {
        await Task.WhenAll(commands.Select(c => worker.Harness.Bus.Publish(c)));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (commands.Any(c => worker.TerminalEvents(c.CommandId) == 0) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
    }

    private static int Failed(WorkerHarness worker, IEnumerable<CreateService> commands, string reason) =>
        commands.Count(c => worker.Published<ServiceCreationFailed>(e => e.CommandId == c.CommandId && e.Reason == reason).Count == 1);

    private static int Created(WorkerHarness worker, IEnumerable<CreateService> commands) =>
        commands.Count(c => worker.Published<ServiceCreated>(e => e.CommandId == c.CommandId).Count == 1);

    [Fact]
    public async Task Concurrent_creates_of_many_owners_against_a_small_budget_create_exactly_what_fits()
    {
        var worker = await Start(memory: "512m", cpus: "64");
        // Ten owners without quotas: only the host budget stands between them and the machine.
        var commands = Enumerable.Range(0, 10).Select(i => For($"owner-{i}")).ToList();

        await HandleAll(worker, commands);

        Assert.Equal(4, Created(worker, commands));
        Assert.Equal(6, Failed(worker, commands, FailureReasons.HostCapacity));
        Assert.Equal(4, worker.Engine.Containers.Count);
        var usage = await worker.Services.GetRequiredService<PortReservations>().HostUsageAsync();
        Assert.Equal(512L << 20, usage.MemoryBytes);
        Assert.Equal(4, await worker.Redis.HashLengthAsync(worker.Keys.ServicePorts));
    }

    [Fact]
    public async Task A_create_beyond_the_cpu_budget_fails_with_host_capacity_and_reserves_nothing()
    {
        var worker = await Start(memory: "64g", cpus: "1");
        await worker.Handle(For("alice", cpus: 0.5));
        await worker.Handle(For("bob", cpus: 0.5));
        var refused = For("carol", cpus: 0.25);

        await worker.Handle(refused);

        var failed = Assert.Single(worker.Published<ServiceCreationFailed>(e => e.CommandId == refused.CommandId));
        Assert.Equal(FailureReasons.HostCapacity, failed.Reason);
        Assert.Contains("cpus", failed.Message);
        Assert.Equal(2, worker.Engine.Created.Count);
        Assert.Null(await worker.ReservedPort(refused.ServiceId));
        Assert.Null(await worker.NameHolder(refused.ServiceName));
        Assert.False(await worker.Redis.HashExistsAsync(worker.Keys.ServiceUsage, refused.ServiceId.ToString("D")));
        Assert.False(await worker.Redis.KeyExistsAsync(worker.Keys.Usage("carol")));
        Assert.Equal(FailureReasons.HostCapacity, (await worker.Records.GetAsync(refused.ServiceId))!.FailureCode);
        Assert.Equal(1000, (await worker.Services.GetRequiredService<PortReservations>().HostUsageAsync()).MilliCpus);
    }

    [Fact]
    public async Task Removing_a_service_gives_its_share_of_the_host_back()
    {
        var worker = await Start(memory: "128m", cpus: "64");
        var first = For("alice");
        await worker.Handle(first);
        var blocked = For("bob");
        await worker.Handle(blocked);
        Assert.Equal(FailureReasons.HostCapacity, Assert.Single(worker.Published<ServiceCreationFailed>(e => e.CommandId == blocked.CommandId)).Reason);

        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = first.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await worker.Handle(remove, remove.CommandId);
        Assert.Equal(new HostUsage(0, 0), await worker.Services.GetRequiredService<PortReservations>().HostUsageAsync());

        var after = For("bob");
        await worker.Handle(after);
        Assert.Single(worker.Published<ServiceCreated>(e => e.CommandId == after.CommandId));
    }

    [Fact]
    public async Task Without_a_configured_budget_the_engines_memory_and_cpus_are_the_budget()
    {
        var worker = await Start(memory: null, cpus: null);
        worker.Engine.Resources = new EngineResources(256L << 20, 1);
        var commands = new[] { For("alice"), For("bob"), For("carol") };

        foreach (var command in commands)
            await worker.Handle(command);

        Assert.Equal(2, Created(worker, commands));
        var failed = Assert.Single(worker.Published<ServiceCreationFailed>(e => e.CommandId == commands[2].CommandId));
        Assert.Equal(FailureReasons.HostCapacity, failed.Reason);
        Assert.Contains("memory", failed.Message);
        Assert.Equal(1, worker.Engine.ResourceQueries); // asked once: a host's memory and CPUs do not change under its engine
    }

    [Fact]
    public async Task Concurrent_reservations_on_redis_stop_exactly_at_the_host_budget()
    {
        var worker = await Start(memory: "64g", cpus: "64");
        var reservations = worker.Services.GetRequiredService<PortReservations>();
        var budget = new HostBudget(25L << 20, null);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).SelectMany(w => Enumerable.Range(0, 10).Select(i => (w, i)))
            .Select(x => Task.Run(() => reservations.ReserveAsync(Guid.NewGuid(), $"hb-{x.w}-{x.i}",
                new Allocation($"owner-{x.w}", 1 << 20, 0.1, Messaging.State.Tokens.Quota.Unlimited), null, default, budget))));

        Assert.Equal(25, outcomes.Count(o => o.Outcome == ReserveOutcome.Reserved));
        Assert.Equal(55, outcomes.Count(o => o.Outcome == ReserveOutcome.HostCapacityExceeded));
        Assert.Equal(25L << 20, (await reservations.HostUsageAsync()).MemoryBytes);
    }

    [Fact]
    public async Task A_host_usage_that_drifted_is_recounted_by_the_reconciler()
    {
        var worker = await Start(memory: "64g", cpus: "64");
        await worker.Handle(For("alice", memory: "64m", cpus: 0.5));
        await worker.Handle(For("bob", memory: "32m", cpus: 0.25));
        // Shares counted before the budget existed, or a hand edit: the total no longer matches the services.
        await worker.Redis.HashSetAsync(worker.Keys.HostUsage, [new("memory_bytes", 1), new("millicpus", -5)]);

        await worker.Services.GetRequiredService<Reconciler>().ReconcileAsync(default);

        Assert.Equal(new HostUsage(96L << 20, 750), await worker.Services.GetRequiredService<PortReservations>().HostUsageAsync());
    }
}
