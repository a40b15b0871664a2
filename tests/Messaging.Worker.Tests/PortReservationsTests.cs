using Messaging.State.Locks;
using Messaging.State;
using Messaging.State.Tokens;
using Messaging.State.Reservations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Worker.Tests;

/// <summary>Reservations against the real Redis (the Lua scripts are the logic under test).</summary>
[Trait("Requires", "Redis")]
public sealed class PortReservationsTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private PortReservations Reservations => _worker.Services.GetRequiredService<PortReservations>();

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync(portMin: 15000, portMax: 15199);
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task Concurrent_reservers_never_get_the_same_port()
    {
        var ports = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var mine = new List<int>();
            for (var i = 0; i < 20; i++)
            {
                var r = await Reservations.ReserveAsync(Guid.NewGuid(), $"svc-{worker}-{i}", Allocation.Uncounted(), null, default);
                Assert.Equal(ReserveOutcome.Reserved, r.Outcome);
                mine.Add(r.Port);
            }
            return mine;
        })));

        var all = ports.SelectMany(p => p).ToList();
        Assert.Equal(160, all.Count);
        Assert.Equal(160, all.Distinct().Count());
        Assert.All(all, p => Assert.InRange(p, 15000, 15199));
    }

    [Fact]
    public async Task The_range_is_exhausted_after_exactly_its_size()
    {
        var ports = new HashSet<int>();
        for (var i = 0; i < 200; i++)
        {
            var r = await Reservations.ReserveAsync(Guid.NewGuid(), $"svc-{i}", Allocation.Uncounted(), null, default);
            Assert.Equal(ReserveOutcome.Reserved, r.Outcome);
            Assert.True(ports.Add(r.Port), $"port {r.Port} given twice, at reservation {i}; ports hash has {await _worker.Redis.HashLengthAsync(_worker.Keys.Ports)} entries");
        }
        Assert.Equal(200, ports.Count);
        Assert.Equal(ReserveOutcome.Exhausted, (await Reservations.ReserveAsync(Guid.NewGuid(), "one-more", Allocation.Uncounted(), null, default)).Outcome);
    }

    [Fact]
    public async Task Reserving_again_for_the_same_service_returns_the_same_port()
    {
        var id = Guid.NewGuid();
        var first = await Reservations.ReserveAsync(id, "svc", Allocation.Uncounted(), null, default);
        var again = await Reservations.ReserveAsync(id, "svc", Allocation.Uncounted(), null, default);
        Assert.Equal(first.Port, again.Port);
        Assert.Equal(1, await _worker.Redis.HashLengthAsync(_worker.Keys.Ports));
    }

    [Fact]
    public async Task A_name_is_held_by_one_service_until_released()
    {
        var holder = Guid.NewGuid();
        await Reservations.ReserveAsync(holder, "svc", Allocation.Uncounted(), null, default);
        Assert.Equal(ReserveOutcome.NameTaken, (await Reservations.ReserveAsync(Guid.NewGuid(), "svc", Allocation.Uncounted(), null, default)).Outcome);

        await Reservations.ReleaseAsync(holder, "svc");
        Assert.Equal(ReserveOutcome.Reserved, (await Reservations.ReserveAsync(Guid.NewGuid(), "svc", Allocation.Uncounted(), null, default)).Outcome);
    }

    [Fact]
    public async Task Release_by_another_service_frees_nothing()
    {
        var holder = Guid.NewGuid();
        var r = await Reservations.ReserveAsync(holder, "svc", Allocation.Uncounted(), null, default);
        await Reservations.ReleaseAsync(Guid.NewGuid(), "svc");
        Assert.Equal(holder, await _worker.NameHolder("svc"));
        Assert.Equal(r.Port, await _worker.ReservedPort(holder));
    }

    [Fact]
    public async Task A_refused_port_is_given_up_and_skipped()
    {
        var id = Guid.NewGuid();
        var first = await Reservations.ReserveAsync(id, "svc", Allocation.Uncounted(), null, default);
        var second = await Reservations.ReserveAsync(id, "svc", Allocation.Uncounted(), first.Port, default);

        Assert.NotEqual(first.Port, second.Port);
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Ports, first.Port));
        Assert.NotNull(await _worker.Redis.SortedSetScoreAsync(_worker.Keys.BlockedPorts, first.Port));
        for (var i = 0; i < 198; i++)
            Assert.NotEqual(first.Port, (await Reservations.ReserveAsync(Guid.NewGuid(), $"x{i}", Allocation.Uncounted(), null, default)).Port);
    }

    [Fact]
    public async Task A_lock_holder_whose_ttl_ran_out_cannot_release_the_next_holders_lock()
    {
        var db = _worker.Redis;
        var key = (RedisKey)(_worker.KeyPrefix + "lock:test");
        var stale = await RedisLock.AcquireAsync(db, key, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), default);
        await Task.Delay(120);
        await using var current = await RedisLock.AcquireAsync(db, key, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), default);

        await stale.DisposeAsync();

        Assert.Equal(current.Token, await db.StringGetAsync(key));
    }

    [Fact]
    public async Task A_held_lock_makes_the_next_taker_wait_until_it_is_released()
    {
        var db = _worker.Redis;
        var key = (RedisKey)(_worker.KeyPrefix + "lock:test");
        var first = await RedisLock.AcquireAsync(db, key, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), default);
        await Assert.ThrowsAsync<TimeoutException>(() =>
            RedisLock.AcquireAsync(db, key, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), default));
        await first.DisposeAsync();
        await using var second = await RedisLock.AcquireAsync(db, key, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), default);
        Assert.Equal(second.Token, await db.StringGetAsync(key));
    }

    [Fact]
    public async Task A_reservation_takes_the_lock_and_leaves_it_free()
    {
        var r = await Reservations.ReserveAsync(Guid.NewGuid(), "lock-free-after", Allocation.Uncounted(), null, default);

        Assert.Equal(ReserveOutcome.Reserved, r.Outcome);
        Assert.False(await _worker.Redis.KeyExistsAsync(_worker.Keys.ReservationLock));
    }

    [Fact]
    public async Task A_lock_held_outside_makes_reservations_wait_until_it_is_released()
    {
        var held = await RedisLock.AcquireAsync(_worker.Redis, _worker.Keys.ReservationLock, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), default);
        var serviceId = Guid.NewGuid();

        var reserving = Reservations.ReserveAsync(serviceId, "waits-for-lock", Allocation.Uncounted(), null, default);
        await Task.Delay(300);
        Assert.False(reserving.IsCompleted, "The reservation went ahead while another holder had the lock.");
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.ServicePorts, serviceId.ToString("D")));
        Assert.Equal(held.Token, await _worker.Redis.StringGetAsync(_worker.Keys.ReservationLock));

        await held.DisposeAsync();
        var r = await reserving.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ReserveOutcome.Reserved, r.Outcome);
    }

    [Fact]
    public async Task A_lock_never_released_ends_the_wait_after_LockWait_with_nothing_written()
    {
        var impatient = new PortReservations(_worker.Services.GetRequiredService<IConnectionMultiplexer>(), _worker.Keys,
            Options.Create(new PortRangeOptions { Min = 15000, Max = 15199, LockWait = TimeSpan.FromMilliseconds(200) }), TimeProvider.System);
        await using var held = await RedisLock.AcquireAsync(_worker.Redis, _worker.Keys.ReservationLock, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), default);
        var serviceId = Guid.NewGuid();

        await Assert.ThrowsAsync<TimeoutException>(() => impatient.ReserveAsync(serviceId, "never-gets-it", Allocation.Uncounted(), null, default));

        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.ServicePorts, serviceId.ToString("D")));
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Names, "never-gets-it"));
        Assert.Equal(held.Token, await _worker.Redis.StringGetAsync(_worker.Keys.ReservationLock));
    }
}
