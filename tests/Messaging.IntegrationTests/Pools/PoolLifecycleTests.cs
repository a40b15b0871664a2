using Messaging.State.Pools;

namespace Messaging.IntegrationTests.Pools;

/// <summary>A pool's members are replaced after MaxIdle and removed when the worker stops (issue 20).</summary>
[Trait("Category", "Pools")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class PoolLifecycleTests
{
    [Fact, Trait("Category", "Extended")] // long; kept out of the default run (README, "Test it")
    public async Task Idle_members_are_replaced_after_MaxIdle_and_removed_on_shutdown()
    {
        await using var worker = await PoolWorker.StartAsync("it-pools-idle", 18600, new Dictionary<string, string?>
        {
            ["Pools:Entries:0:Size"] = "1",
            ["Pools:Entries:0:MaxIdle"] = "00:00:02",
        });
        var first = Assert.Single(await worker.WaitForIdleAsync(1));
        var firstContainer = (await worker.MemberContainersAsync()).Single().ID;

        // Past MaxIdle the member is removed and a fresh one takes its place.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        IReadOnlyList<Guid> now;
        do
        {
            await Task.Delay(250);
            now = (await worker.State.MembersAsync()).Where(m => m.State == PoolMemberStates.Idle).Select(m => m.MemberId).ToList();
        }
        while ((now.Count != 1 || now[0] == first) && DateTime.UtcNow < deadline);
        Assert.NotEqual(first, Assert.Single(now));
        Assert.DoesNotContain(await worker.MemberContainersAsync(), c => c.ID == firstContainer);

        // A stopping worker removes its idle members and gives their ports back.
        await worker.StopAsync();
        Assert.Empty(await worker.MemberContainersAsync());
        Assert.Empty(await worker.State.MembersAsync());
        Assert.Equal(0, await worker.Redis.HashLengthAsync(worker.Keys.Ports));
    }
}
