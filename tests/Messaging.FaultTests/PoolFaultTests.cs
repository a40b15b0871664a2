using System.Text;
using Docker.DotNet.Models;
using MassTransit;
using Messaging.Contracts;
using Messaging.FaultTests.Harness;
using Messaging.Testing;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 13 (issue 20): warm pool claims cut short. The worker is caught between the two halves of claims (the
/// Redis claim and the claim volume are written, the rename is held at a proxy in front of the engine), killed with
/// SIGKILL, and Redis is flushed; a second worker (pools on) takes the redelivered commands and new ones. Then: no
/// claimed service lost (each created service's container is on the engine and its claim or labels name that service),
/// none double-claimed (no container serves two services, no member has two claims), no pool member leaked (every
/// unclaimed member is idle in Redis, every claim has its container), and after removing everything and stopping the
/// worker nothing is left (containers, claim volumes, reservations).
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class PoolFaultTests(ITestOutputHelper output)
{
    private const int PoolSize = 4;
    private const string MemberLabel = "messaging.pool-member";

    private static Dictionary<string, string> Pools(string endpointNote) => new()
    {
        ["Pools__Enabled"] = "true",
        ["Pools__MaxMembers"] = "6",
        ["Pools__SweepInterval"] = "00:00:00.500",
        ["Pools__Entries__0__Image"] = "nginx:alpine",
        ["Pools__Entries__0__Memory"] = "64m",
        ["Pools__Entries__0__Cpus"] = "0.25",
        ["Pools__Entries__0__Size"] = PoolSize.ToString(),
    };

    [Fact]
    public async Task Kill9_mid_claim_and_FlushAll_lose_no_claimed_service_and_leak_no_member()
    {
        await using var s = await Scenario.StartAsync("pools-kill9-flushall-n8",
            "SIGKILL the worker between the Redis claim and the rename of 3 warm claims, FLUSHALL Redis, a new worker carries on (N=8)", output);
        await using var _ = new VolumeCleanup(s);
        var proxy = s.StartProxy();
        var settings = s.Settings(dockerEndpoint: proxy.Endpoint) with { Extra = Pools("proxy") };
        var worker1 = s.StartWorker(settings);
        await worker1.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        Assert.True(await Scenario.WaitUntilAsync(() => IdleMembers(s).Result >= PoolSize, TimeSpan.FromSeconds(60)), "The pool never filled.");
        s.Log($"pool full: {await IdleMembers(s)} idle members");

        proxy.HoldRequests("/rename");
        var first = await s.PublishCreatesAsync(3, "a", Qualifying);
        // The scenario is about claims cut short: without three held renames it would prove nothing.
        Assert.True(await Scenario.WaitUntilAsync(() => proxy.Held >= 3, TimeSpan.FromSeconds(30)), $"Only {proxy.Held} renames were held.");
        var claimsAtKill = (await ClaimVolumesAsync(s)).Count;
        s.Log($"{proxy.Held} renames held, {claimsAtKill} claim volumes written: SIGKILL, then FLUSHALL");
        await worker1.Kill9Async();
        proxy.Release();
        await s.Redis.FlushAllAsync();

        var worker2 = s.StartWorker(s.Settings() with { Extra = Pools("engine") });
        await worker2.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        // New creations meanwhile: qualifying ones (warm when a member is idle) and one with env (always cold).
        await s.PublishCreatesAsync(4, "b", Qualifying);
        await s.PublishCreatesAsync(1, "c", c => Qualifying(c) with { Env = new Dictionary<string, string> { ["MODE"] = "cold" } });
        Assert.True(await s.WaitForTerminalAsync(s.Commands.ToList(), TimeSpan.FromSeconds(120)), "Not every command ended.");
        // A few keeper and reconciler passes to settle (claims finished, pool refilled, records rebuilt).
        await Task.Delay(TimeSpan.FromSeconds(8));

        var checks = new List<Check>();
        var commands = s.Commands.ToList();
        var created = commands.Select(c => (Command: c, Outcomes: s.OutcomesOf(c.CommandId))).ToList();
        var warm = s.Bus.All<ServiceCreated>().Where(e => e.Warm).Select(e => e.ServiceId).ToHashSet();
        Add(checks, "commands / created", $"{commands.Count} / {created.Count(c => c.Outcomes.OfType<ServiceCreated>().Any())}", $"{commands.Count} / {commands.Count}",
            created.All(c => c.Outcomes.OfType<ServiceCreated>().Any()));
        Add(checks, "commands with more than one distinct outcome",
            created.Count(c => c.Outcomes.Select(o => o is ServiceCreated e ? $"{e.ContainerId}:{e.HostPort}" : "failed").Distinct().Count() > 1).ToString(), "0",
            created.All(c => c.Outcomes.Select(o => o is ServiceCreated e ? $"{e.ContainerId}:{e.HostPort}" : "failed").Distinct().Count() <= 1));
        Add(checks, "created warm / cold", $"{warm.Count} / {commands.Count - warm.Count}", "informational", true, hard: false);

        var containers = await s.Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"messaging.instance={Scenario.Instance}"] = true } },
        });
        var claims = await ClaimVolumesAsync(s);
        // The engine's answer to "which service is this container": its own labels, or its claim's.
        Guid? ServiceOf(ContainerListResponse c) =>
            c.Labels.TryGetValue("messaging.service-id", out var id) ? Guid.Parse(id)
            : c.Labels.TryGetValue(MemberLabel, out var member) && claims.TryGetValue(Guid.Parse(member), out var claimed) ? claimed : null;
        var lost = new List<string>();
        foreach (var command in commands)
        {
            var last = s.OutcomesOf(command.CommandId).OfType<ServiceCreated>().LastOrDefault();
            var container = last is null ? null : containers.FirstOrDefault(c => c.ID == last.ContainerId);
            if (container is null || container.State != "running" || ServiceOf(container) != command.ServiceId)
                lost.Add(command.ServiceName);
        }
        Add(checks, "claimed or created services lost (container gone, stopped, or the engine names another service)", lost.Count.ToString(), "0", lost.Count == 0);
        var servedTwice = containers.GroupBy(c => c.ID).Count(g => g.Count() > 1)
            + s.Bus.All<ServiceCreated>().GroupBy(e => e.ContainerId).Count(g => g.Select(e => e.ServiceId).Distinct().Count() > 1);
        var servicesWithTwo = containers.Select(ServiceOf).Where(id => id is not null).GroupBy(id => id).Count(g => g.Count() > 1);
        Add(checks, "double claims (a container announced for two services; a service with two containers)", $"{servedTwice}; {servicesWithTwo}", "0; 0",
            servedTwice == 0 && servicesWithTwo == 0);

        var members = containers.Where(c => c.Labels.ContainsKey(MemberLabel)).ToList();
        var unclaimed = members.Where(c => !claims.ContainsKey(Guid.Parse(c.Labels[MemberLabel]))).ToList();
        var idle = await IdleMemberIdsAsync(s);
        var leaked = unclaimed.Count(c => !idle.Contains(Guid.Parse(c.Labels[MemberLabel])) || c.State != "running");
        var claimsWithoutContainer = claims.Keys.Count(m => members.All(c => c.Labels[MemberLabel] != m.ToString("D")));
        Add(checks, "pool members leaked (unclaimed, not idle in Redis) / claims without their container", $"{leaked} / {claimsWithoutContainer}", "0 / 0",
            leaked == 0 && claimsWithoutContainer == 0);
        Add(checks, "idle members after settling", $"{unclaimed.Count} (target {PoolSize})", $"<= {PoolSize}", unclaimed.Count <= PoolSize);
        Add(checks, "claims written before the kill / renames held", $"{claimsAtKill} / {proxy.Held}", "informational", true, hard: false);

        // Remove everything through the worker, then stop it: it removes its idle members.
        foreach (var command in commands)
            await s.Bus.PublishConfirmedAsync(new RemoveService
            {
                CommandId = NewId.NextGuid(), ServiceId = command.ServiceId, RequestedBy = "fault-tests", RequestedAt = DateTimeOffset.UtcNow,
            });
        await Scenario.WaitUntilAsync(() => s.Bus.All<ServiceRemoved>().Select(r => r.ServiceId).Distinct().Count() >= commands.Count, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2)); // a keeper pass removes the claims of removed members
        await worker2.TerminateAsync(TimeSpan.FromSeconds(60));
        var left = await SystemCleanup.ContainersAsync(s.Docker, Scenario.Instance);
        var volumesLeft = (await ClaimVolumesAsync(s)).Count;
        var ports = await s.Redis.Db.HashLengthAsync($"{Scenario.KeyPrefix}ports");
        Add(checks, "after removing everything and stopping the worker: containers / claim volumes / reserved ports", $"{left.Count} / {volumesLeft} / {ports}", "0 / 0 / 0",
            left.Count == 0 && volumesLeft == 0 && ports == 0);
        Add(checks, "duration", $"{s.Seconds:F1} s", "", true, hard: false);

        var table = new StringBuilder($"### {s.Name}: {s.Title}\n\n| check | result | expected | |\n|---|---|---|---|\n");
        foreach (var check in checks)
            table.AppendLine($"| {check.Name} | {check.Value} | {check.Expected} | {(check.Ok ? "ok" : check.Hard ? "**FAIL**" : "note")} |");
        s.Log("\n" + table);
        File.WriteAllText(Path.Combine(s.LogDirectory, "table.md"), table.ToString());
        Verification.AssertAllHold(checks);
    }

    private static CreateService Qualifying(CreateService command) => command with { MemoryLimit = "48m", CpuLimit = 0.2 };

    private static void Add(List<Check> checks, string name, string value, string expected, bool ok, bool hard = true) =>
        checks.Add(new Check(name, value, expected, ok, hard));

    private static async Task<int> IdleMembers(Scenario s) => (await IdleMemberIdsAsync(s)).Count;

    /// <summary>Member ids idle in Redis (the keeper's summary would lag a pass; the idle sorted set is the truth of claimability).</summary>
    private static async Task<HashSet<Guid>> IdleMemberIdsAsync(Scenario s) =>
        (await s.Redis.Db.SortedSetRangeByRankAsync($"{Scenario.KeyPrefix}pool:nginx-alpine-64m-0.25:idle"))
        .Select(v => Guid.Parse(v.ToString())).ToHashSet();

    /// <summary>The claim volumes on the engine: member id -> service id.</summary>
    private static async Task<Dictionary<Guid, Guid>> ClaimVolumesAsync(Scenario s)
    {
        var listed = await s.Docker.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { ["messaging.pool-claim=true"] = true, [$"messaging.instance={Scenario.Instance}"] = true },
            },
        });
        return (listed.Volumes ?? []).ToDictionary(v => Guid.Parse(v.Labels[MemberLabel]), v => Guid.Parse(v.Labels["messaging.service-id"]));
    }

    /// <summary>Claim volumes are not containers: the scenario's clean-up does not see them.</summary>
    private sealed class VolumeCleanup(Scenario s) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await s.RemoveContainersAsync();
            await SystemCleanup.RemoveVolumesAsync(s.Docker, Scenario.Instance);
        }
    }
}
