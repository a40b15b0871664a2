using Messaging.Contracts;
using Messaging.State.Reservations;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>
/// Extra hostnames, judged and reserved by the worker whoever published the command: outside the operator's suffixes
/// or under another service's name refused (hostname_not_allowed), held by another service refused (hostname_conflict),
/// and given back when a creation fails or the service is removed.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class HostnameReservationTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Edge:BaseDomain"] = "apps.example.com",
        ["Edge:AllowedSuffixes:0"] = "customers.example.net",
    });

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private HostnameReservations Hostnames => _worker.Services.GetRequiredService<HostnameReservations>();

    [Theory]
    [InlineData("shop.evil.example.org")]              // outside every allowed suffix
    [InlineData("other.apps.example.com")]             // another service's own hostname
    [InlineData("api.apps.example.com")]               // the API's
    [InlineData("x.other.apps.example.com")]           // below another service's hostname
    public async Task A_hostname_outside_the_policy_fails_the_creation_with_hostname_not_allowed_and_creates_nothing(string hostname)
    {
        var command = WorkerHarness.Command(name: "shop") with { Hostnames = [hostname] };
        await _worker.Handle(command);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(FailureReasons.HostnameNotAllowed, failed.Reason);
        Assert.Empty(_worker.Engine.Created);
        Assert.Null(await Hostnames.HolderOfAsync(hostname));
        Assert.Null(await _worker.ReservedPort(command.ServiceId));
    }

    [Fact]
    public async Task A_hostname_another_service_holds_fails_with_hostname_conflict_and_the_holder_keeps_it()
    {
        var first = WorkerHarness.Command(name: "shop-one") with { Hostnames = ["shop.customers.example.net", "www.shop-one.apps.example.com"] };
        await _worker.Handle(first);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == first.ServiceId));
        Assert.Equal(["shop.customers.example.net", "www.shop-one.apps.example.com"], (await _worker.Records.GetAsync(first.ServiceId))!.Hostnames);

        var second = WorkerHarness.Command(name: "shop-two") with { Hostnames = ["other.customers.example.net", "shop.customers.example.net"] };
        await _worker.Handle(second);
        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == second.ServiceId));
        Assert.Equal(FailureReasons.HostnameConflict, failed.Reason);
        Assert.Contains("shop.customers.example.net", failed.Message, StringComparison.Ordinal);
        Assert.Single(_worker.Engine.Created);
        Assert.Equal(first.ServiceId, await Hostnames.HolderOfAsync("shop.customers.example.net"));
        // All or none: the free one of the refused set was not kept either.
        Assert.Null(await Hostnames.HolderOfAsync("other.customers.example.net"));
    }

    [Fact]
    public async Task A_removed_service_gives_its_hostnames_back()
    {
        var command = WorkerHarness.Command(name: "shop") with { Hostnames = ["shop.customers.example.net"] };
        await _worker.Handle(command);
        var remove = new RemoveService { CommandId = Guid.NewGuid(), ServiceId = command.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Handle(remove, remove.CommandId);
        Assert.Single(_worker.Published<ServiceRemoved>(e => e.ServiceId == command.ServiceId));
        Assert.Null(await Hostnames.HolderOfAsync("shop.customers.example.net"));
    }

    [Fact]
    public async Task A_redelivered_command_keeps_its_own_hostnames()
    {
        var command = WorkerHarness.Command(name: "shop") with { Hostnames = ["shop.customers.example.net"] };
        await _worker.Handle(command);
        Assert.Null(await Hostnames.ReserveAsync(command.ServiceId, ["shop.customers.example.net"]));
        Assert.Equal("shop.customers.example.net", await Hostnames.ReserveAsync(Guid.NewGuid(), ["shop.customers.example.net"]));
    }

    /// <summary>
    /// Extra hostnames live in Redis and on the container's labels (fixed at creation): after Redis lost the record and
    /// the reservations, a reconciler pass takes them back from the labels, and the rebuilt record lists them (what the
    /// edge routes). A hostname another service took meanwhile stays with that service.
    /// </summary>
    [Fact]
    public async Task Hostnames_lost_with_redis_come_back_from_the_container_labels_at_the_next_reconcile()
    {
        var command = WorkerHarness.Command(name: "shop") with { Hostnames = ["shop.customers.example.net", "www.shop.apps.example.com"] };
        await _worker.Handle(command);
        var created = Assert.Single(_worker.Engine.Created);
        Assert.Equal("shop.customers.example.net www.shop.apps.example.com", created.Labels["messaging.hostnames"]);
        var plain = WorkerHarness.Command(name: "plain");
        await _worker.Handle(plain);
        Assert.DoesNotContain("messaging.hostnames", _worker.Engine.Created.Single(c => c.Labels["messaging.service-id"] == plain.ServiceId.ToString("D")).Labels.Keys);

        await _worker.Redis.KeyDeleteAsync([_worker.Keys.Hostnames, _worker.Keys.Service(command.ServiceId)]);
        await _worker.Redis.SortedSetRemoveAsync(_worker.Keys.AllServices, command.ServiceId.ToString("D"));
        Assert.Null(await Hostnames.HolderOfAsync("shop.customers.example.net"));

        var report = await _worker.Services.GetRequiredService<Messaging.Worker.Reconciliation.Reconciler>().ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.RecordRebuilt]);
        Assert.Equal(1, report.Corrections[DriftKinds.ReservationRebuilt]);
        Assert.Equal(["shop.customers.example.net", "www.shop.apps.example.com"], (await _worker.Records.GetAsync(command.ServiceId))!.Hostnames);
        Assert.Equal(command.ServiceId, await Hostnames.HolderOfAsync("shop.customers.example.net"));
        Assert.Equal(command.ServiceId, await Hostnames.HolderOfAsync("www.shop.apps.example.com"));
        Assert.Empty((await _worker.Services.GetRequiredService<Messaging.Worker.Reconciliation.Reconciler>().ReconcileAsync(default)).Corrections);

        // Taken by another service while Redis had forgotten it: the other keeps it, nothing is half restored.
        await _worker.Redis.KeyDeleteAsync(_worker.Keys.Hostnames);
        var intruder = Guid.NewGuid();
        Assert.Null(await Hostnames.ReserveAsync(intruder, ["shop.customers.example.net"]));
        await _worker.Services.GetRequiredService<Messaging.Worker.Reconciliation.Reconciler>().ReconcileAsync(default);
        Assert.Equal(intruder, await Hostnames.HolderOfAsync("shop.customers.example.net"));
        Assert.Null(await Hostnames.HolderOfAsync("www.shop.apps.example.com"));
    }
}
