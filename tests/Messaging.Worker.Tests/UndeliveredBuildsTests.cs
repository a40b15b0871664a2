using MassTransit;
using Messaging.Contracts;
using Messaging.State.Builds;
using Messaging.Worker.Builds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Worker.Tests;

/// <summary>
/// A build record the API left pending because the broker never confirmed its command is failed <c>not_delivered</c>
/// after <c>Builds:UnconfirmedPendingExpiry</c>, as services' are; confirmed, fresh or taken records are left alone, and
/// the command arriving after the expiry replays that failure instead of building.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class UndeliveredBuildsTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private readonly string _context = Directory.CreateTempSubdirectory("undelivered-builds-").FullName;

    public async Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_context, "Dockerfile"), "FROM scratch\n");
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Builds:UnconfirmedPendingExpiry"] = "00:01:00",
            ["Builds:PendingSweepInterval"] = "01:00:00", // the test sweeps itself
            ["Builds:Contexts:0:Name"] = "unit-context",
            ["Builds:Contexts:0:Directory"] = _context,
            ["Builds:Contexts:0:Run:User"] = "101:101",
        });
    }

    private BuildStore Builds => _worker.Services.GetRequiredService<BuildStore>();
    private UndeliveredBuilds Sweep => _worker.Services.GetServices<IHostedService>().OfType<UndeliveredBuilds>().Single();

    private async Task<BuildRecord> Pending(TimeSpan age, bool unconfirmed, string status = BuildStatus.Pending)
    {
        var at = DateTimeOffset.UtcNow - age;
        var record = new BuildRecord
        {
            BuildId = Guid.NewGuid(), CommandId = NewId.NextGuid(), Context = "unit-context", Owner = "alice", Status = status,
            CreatedAt = at, UpdatedAt = at, Unconfirmed = unconfirmed,
        };
        Assert.True(await Builds.TryCreateAsync(record));
        return record;
    }

    [Fact]
    public async Task An_old_unconfirmed_pending_build_fails_not_delivered_and_its_late_command_builds_nothing()
    {
        var lost = await Pending(TimeSpan.FromMinutes(2), unconfirmed: true);
        var confirmed = await Pending(TimeSpan.FromMinutes(2), unconfirmed: false);
        var fresh = await Pending(TimeSpan.FromSeconds(5), unconfirmed: true);
        var taken = await Pending(TimeSpan.FromMinutes(2), unconfirmed: false, BuildStatus.Queued);

        Assert.Equal(1, await Sweep.SweepAsync());

        var failed = (await Builds.GetAsync(lost.BuildId))!;
        Assert.Equal(BuildStatus.Failed, failed.Status);
        Assert.Equal(BuildFailureReasons.NotDelivered, failed.FailureCode);
        Assert.False(failed.Unconfirmed);
        Assert.NotNull(failed.FinishedAt);
        Assert.Single(_worker.Published<ImageBuildFailed>(e => e.BuildId == lost.BuildId && e.Reason == BuildFailureReasons.NotDelivered));
        foreach (var left in new[] { confirmed, fresh, taken })
            Assert.Equal(left.Status, (await Builds.GetAsync(left.BuildId))!.Status);
        Assert.Equal(0, await Sweep.SweepAsync()); // once

        // The broker had it after all, and a worker gets it now: the failure is its outcome, nothing is taken or built.
        await _worker.PublishAs(TestBrokerUser.Api, new BuildImage
        {
            CommandId = lost.CommandId, BuildId = lost.BuildId, Context = "unit-context", RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow,
        });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_worker.Published<ImageBuildFailed>(e => e.BuildId == lost.BuildId).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the late command published no outcome");
            await Task.Delay(20);
        }
        Assert.All(_worker.Published<ImageBuildFailed>(e => e.BuildId == lost.BuildId), e => Assert.Equal(BuildFailureReasons.NotDelivered, e.Reason));
        Assert.Empty(_worker.Published<ImageBuilt>(e => e.BuildId == lost.BuildId));
        Assert.Equal(BuildStatus.Failed, (await Builds.GetAsync(lost.BuildId))!.Status);
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        Directory.Delete(_context, recursive: true);
    }

    [Fact]
    public async Task A_claim_racing_the_APIs_confirm_of_the_same_record_takes_the_build()
    {
        // The API clears "unconfirmed" as the broker's confirm comes back while a worker already takes the command: a
        // write to the watched record that aborts the claim's transaction without its condition failing. Each round
        // starts both at once; every claim must take its build, and only a record failed not_delivered refuses one.
        // The API is another process: its own Redis connection (one connection would send the two in order).
        await using var apiRedis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Messaging.Testing.TestEnvironment.Redis);
        var api = new BuildStore(apiRedis, _worker.Keys);
        var refused = 0;
        for (var round = 0; round < 300; round++)
        {
            var pending = await Pending(TimeSpan.Zero, unconfirmed: true);
            var claim = pending with { Status = BuildStatus.Queued, Unconfirmed = false };
            var confirms = Enumerable.Range(0, 8).Select(_ => Task.Run(() => api.ConfirmPendingAsync(pending.BuildId))).ToArray();
            var claimed = await Task.Run(() => Builds.TryClaimAsync(claim));
            await Task.WhenAll(confirms);
            if (!claimed)
                refused++;
            Assert.Equal(BuildStatus.Queued, (await Builds.GetAsync(pending.BuildId))!.Status);
        }
        Assert.Equal(0, refused);

        var expired = await Pending(TimeSpan.FromMinutes(2), unconfirmed: true);
        Assert.Equal(1, await Sweep.SweepAsync());
        Assert.False(await Builds.TryClaimAsync(expired with { Status = BuildStatus.Queued }));
    }
}
