using MassTransit;
using Messaging.Contracts;
using Messaging.State.Tokens;
using Messaging.Worker.Containers;
using Messaging.State.Reservations;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

[Trait("Requires", "Redis")]
public sealed class QuotaTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync();
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private Task GiveQuota(string owner, int? services = null, string? memory = null, double? cpus = null) =>
        _worker.Services.GetRequiredService<TokenStore>().SaveAsync(new TokenRecord
        {
            Id = owner, Name = owner, Scopes = ["services:write"], Sha256 = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
            CreatedAt = DateTimeOffset.UtcNow, MaxServices = services,
            MaxMemoryBytes = memory is null ? null : Validation.MemorySize.TryParse(memory, out var b) ? b : null, MaxCpus = cpus,
        });

    private static CreateService For(string owner, string memory = "64m", double cpus = 0.25) =>
        WorkerHarness.Command(name: $"q-{Guid.NewGuid():N}"[..20], memory: memory, cpus: cpus, owner: owner);

    [Fact]
    public async Task Creating_past_max_services_fails_with_quota_exceeded_and_runs_nothing()
    {
        await GiveQuota("carol", services: 1);
        await _worker.Handle(For("carol"));
        var second = For("carol");
        await _worker.Handle(second);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == second.ServiceId));
        Assert.Equal(FailureReasons.QuotaExceeded, failed.Reason);
        Assert.Contains("services", failed.Message);
        Assert.Single(_worker.Engine.Created);
        Assert.Null(await _worker.ReservedPort(second.ServiceId));
    }

    [Theory]
    [InlineData("200m", null, "128m", 0.25, "memory")]
    [InlineData(null, 0.5, "64m", 0.3, "cpus")]
    public async Task Memory_and_cpu_quotas_count_what_is_running(string? maxMemory, double? maxCpus, string memory, double cpus, string which)
    {
        await GiveQuota("dave", memory: maxMemory, cpus: maxCpus);
        await _worker.Handle(For("dave", memory, cpus));
        var second = For("dave", memory, cpus);
        await _worker.Handle(second);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == second.ServiceId));
        Assert.Equal(FailureReasons.QuotaExceeded, failed.Reason);
        Assert.Contains(which, failed.Message);
    }

    /// <summary>
    /// The gauge messaging_quota_owners_near_limit counts, after a reconcile pass, the owners whose usage reached
    /// Quotas:NearFraction (0.8) of a limit: 4 of 5 services is near, 1 of 5 is not, nor is a revoked token's.
    /// </summary>
    [Fact]
    public async Task A_reconcile_pass_counts_the_owners_near_their_quota()
    {
        var watch = _worker.Services.GetRequiredService<Quotas.QuotaWatch>();
        Assert.Null(watch.Current); // no pass yet: no measurement
        await GiveQuota("gina", services: 5);
        await GiveQuota("hal", services: 5);
        await GiveQuota("ivy", memory: "256m");
        for (var i = 0; i < 4; i++)
            await _worker.Handle(For("gina"));
        await _worker.Handle(For("hal"));
        await _worker.Handle(For("ivy", memory: "128m"));
        await _worker.Handle(For("ivy", memory: "96m"));
        var tokens = _worker.Services.GetRequiredService<TokenStore>();
        await tokens.RevokeAsync("ivy");

        var report = await _worker.Services.GetRequiredService<Reconciliation.Reconciler>().ReconcileAsync(default);
        Assert.Superset(new HashSet<string> { "gina", "hal", "ivy" }, report.Owners.ToHashSet());
        Assert.Equal(1, await watch.RecountAsync(report.Owners));
        Assert.Equal(1, watch.Current);

        for (var i = 0; i < 3; i++)
            await _worker.Handle(For("hal")); // 4 of 5 now
        Assert.Equal(2, await watch.RecountAsync(report.Owners));
    }

    [Fact]
    public async Task Concurrent_creates_never_overshoot_the_quota()
    {
        await GiveQuota("erin", services: 3);
        var commands = Enumerable.Range(0, 10).Select(_ => For("erin")).ToList();
        await Task.WhenAll(commands.Select(c => _worker.Harness.Bus.Publish(c)));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (commands.Any(c => _worker.TerminalEvents(c.CommandId) == 0) && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.Equal(3, commands.Count(c => _worker.Published<ServiceCreated>(e => e.CommandId == c.CommandId).Count == 1));
        Assert.Equal(7, commands.Count(c => _worker.Published<ServiceCreationFailed>(e => e.CommandId == c.CommandId && e.Reason == FailureReasons.QuotaExceeded).Count == 1));
        Assert.Equal(3, _worker.Engine.Containers.Count);
        Assert.Equal(3, (int)await _worker.Redis.HashGetAsync(_worker.Keys.Usage("erin"), "services"));
    }

    [Fact]
    public async Task Removing_a_service_gives_its_share_back()
    {
        await GiveQuota("frank", services: 1, memory: "64m");
        var first = For("frank");
        await _worker.Handle(first);
        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = first.ServiceId, RequestedBy = "frank", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Handle(remove, remove.CommandId);
        Assert.Single(_worker.Published<ServiceRemoved>(e => e.CommandId == remove.CommandId));

        var second = For("frank");
        await _worker.Handle(second);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == second.ServiceId));
        var usage = await _worker.Redis.HashGetAllAsync(_worker.Keys.Usage("frank"));
        Assert.Equal("1", usage.Single(e => e.Name == "services").Value.ToString());
        Assert.Equal((64L << 20).ToString(), usage.Single(e => e.Name == "memory_bytes").Value.ToString());
    }

    [Fact]
    public async Task A_failed_creation_gives_its_share_back()
    {
        await GiveQuota("gina", services: 1);
        _worker.Engine.FailStart = new ContainerRuntimeException(FailureReasons.DockerError, "boom");
        await _worker.Handle(For("gina"));
        _worker.Engine.FailStart = null;

        var second = For("gina");
        await _worker.Handle(second);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == second.ServiceId));
    }

    [Fact]
    public async Task Owners_that_are_not_tokens_have_no_quota()
    {
        for (var i = 0; i < 5; i++)
            await _worker.Handle(For("billing-system"));
        Assert.Equal(5, _worker.Published<ServiceCreated>(e => e.Owner == "billing-system").Count);
    }

    [Fact]
    public async Task Concurrent_reservations_on_redis_stop_exactly_at_the_quota()
    {
        var reservations = _worker.Services.GetRequiredService<PortReservations>();
        var allocation = new Allocation("harry", 1 << 20, 0.1, new Quota(25, null, null));
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).SelectMany(w => Enumerable.Range(0, 10).Select(i => (w, i)))
            .Select(x => Task.Run(() => reservations.ReserveAsync(Guid.NewGuid(), $"h-{x.w}-{x.i}", allocation, null, default))));
        Assert.Equal(25, outcomes.Count(o => o.Outcome == ReserveOutcome.Reserved));
        Assert.Equal(55, outcomes.Count(o => o.Outcome == ReserveOutcome.QuotaExceeded));
    }
}
