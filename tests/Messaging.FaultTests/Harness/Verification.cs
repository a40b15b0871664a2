using System.Text;
using Messaging.Contracts;
using Messaging.State;

namespace Messaging.FaultTests.Harness;

/// <summary>Redis as the checks read it: the reservation hashes and the records.</summary>
internal sealed record RedisState(
    IReadOnlyList<(string Port, string ServiceId)> Ports,
    IReadOnlyList<(string ServiceId, string Port)> ServicePorts,
    IReadOnlyList<(string Name, string ServiceId)> Names,
    IReadOnlyDictionary<Guid, ServiceRecord> Records)
{
    public int ReservationEntries => Ports.Count + ServicePorts.Count + Names.Count;
}

/// <summary>One row of a scenario's table.</summary>
internal sealed record Check(string Name, string Value, string Expected, bool Ok, bool Hard);

/// <summary>
/// Drains, settles and checks a scenario, removes everything it made through the worker (RemoveService),
/// checks that nothing is left reserved, and prints the table.
///
/// "Exactly one terminal outcome per command id": a command ends with ServiceCreated or ServiceCreationFailed.
/// A worker that dies after publishing but before acknowledging gets the command again and publishes the
/// same event again (at-least-once delivery). So events are grouped per command id into distinct outcomes
/// (ServiceCreated with its container id and host port; ServiceCreationFailed with its reason): exactly one
/// distinct outcome is required, repeats of it are counted and allowed.
/// </summary>
internal static class Verification
{
    private static readonly object FileGate = new();

    /// <param name="duringRemoval">A fault injected while the removals run: started just before they are published, awaited after.</param>
    /// <param name="afterRemoval">Checks of the scenario's own, taken once the removals are answered (or timed out).</param>
    public static async Task<IReadOnlyList<Check>> VerifyAsync(this Scenario s, TimeSpan drainTimeout,
        TimeSpan? settle = null, TimeSpan? removalTimeout = null, IEnumerable<Check>? extraChecks = null, bool allCreated = true,
        Func<Task>? duringRemoval = null, Func<Task<IEnumerable<Check>>>? afterRemoval = null)
    {
        var commands = s.Commands.ToList();
        await s.WaitForTerminalAsync(commands, drainTimeout);

        // Let the reconciler run (it does every few seconds) until the steady-state checks hold, or give up.
        var settleDeadline = DateTime.UtcNow + (settle ?? TimeSpan.FromSeconds(20));
        List<Check> steady;
        while (true)
        {
            steady = await SteadyChecksAsync(s, commands, log: false);
            if (steady.All(c => c.Ok || !c.Hard) || DateTime.UtcNow > settleDeadline)
                break;
            await Task.Delay(1000);
        }
        if (steady.Any(c => c.Hard && !c.Ok))
            steady = await SteadyChecksAsync(s, commands, log: true); // once more, naming what is wrong
        s.Log("steady-state checks taken");

        // Remove everything through the worker: the port and the name are freed only once the container is gone.
        var removals = new List<RemoveService>();
        var fault = duringRemoval is null ? Task.CompletedTask : Task.Run(duringRemoval);
        foreach (var command in commands)
        {
            var remove = new RemoveService
            {
                CommandId = Guid.NewGuid(), ServiceId = command.ServiceId, RequestedBy = "fault-tests", RequestedAt = DateTimeOffset.UtcNow,
            };
            await s.Bus.PublishConfirmedAsync(remove);
            removals.Add(remove);
        }
        await fault;
        var removalIds = removals.Select(r => r.CommandId).ToHashSet();
        int RemovalsDone() => s.Bus.All<ServiceRemoved>().Select(r => r.CommandId)
            .Concat(s.Bus.All<ServiceCommandRejected>().Select(r => r.CommandId)).Where(removalIds.Contains).Distinct().Count();
        await Scenario.WaitUntilAsync(() => RemovalsDone() == removals.Count, removalTimeout ?? TimeSpan.FromSeconds(30 + commands.Count));
        var removed = s.Bus.All<ServiceRemoved>().Where(r => removalIds.Contains(r.CommandId)).Select(r => r.CommandId).Distinct().Count();
        var rejected = s.Bus.All<ServiceCommandRejected>().Where(r => removalIds.Contains(r.CommandId)).ToList();
        var removalLost = removals.Count - RemovalsDone();
        s.Log($"removal: {removed} removed, {rejected.Count} rejected, {removalLost} without an answer");

        // After removing everything the reservation hashes must be empty (the reconciler gets a few passes).
        RedisState after = await ReadRedisAsync(s, commands);
        var emptyDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (after.ReservationEntries > 0 && DateTime.UtcNow < emptyDeadline)
        {
            await Task.Delay(1000);
            after = await ReadRedisAsync(s, commands);
        }
        var left = await s.ContainersAsync();

        // rabbitmqctl's queue counts lag by a few seconds (stats interval): poll until the command queue is empty.
        Dictionary<string, long> queues;
        var queueDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            queues = await Rabbit.QueuesAsync();
            if (queues.GetValueOrDefault(CommandQueues.CreateService) == 0 || DateTime.UtcNow > queueDeadline)
                break;
            await Task.Delay(2000);
        }
        var deadLettered = queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Value);
        var stillQueued = queues.GetValueOrDefault(CommandQueues.CreateService);

        var checks = new List<Check>(steady);
        var networks = await s.NetworksNamedAsync();
        if (allCreated)
        {
            // The fault never takes the engine away, so no creation has a reason to fail.
            var createdCount = commands.Count(c => s.OutcomesOf(c.CommandId).FirstOrDefault() is ServiceCreated);
            checks.Insert(2, new Check("commands created (the fault leaves the engine alone: none may fail)", $"{createdCount} of {commands.Count}",
                $"{commands.Count}", createdCount == commands.Count, true));
        }
        checks.Add(new Check($"networks named {Scenario.Network}", networks.ToString(), "1 (or 0)", networks <= 1, true));
        checks.Insert(allCreated ? 4 : 3, new Check("commands dead-lettered (*_error queues) / still queued", $"{deadLettered} / {stillQueued}", "0 / 0",
            deadLettered == 0 && stillQueued == 0, true));
        if (extraChecks is not null)
            checks.AddRange(extraChecks);
        if (afterRemoval is not null)
            checks.AddRange(await afterRemoval());
        var rejectedReasons = string.Join(", ", rejected.GroupBy(r => r.Reason).Select(g => $"{g.Key}={g.Count()}"));
        checks.Add(new Check("removal (RemoveService): removed / rejected / unanswered",
            $"{removed} / {rejected.Count}{(rejected.Count > 0 ? $" ({rejectedReasons})" : "")} / {removalLost}", "unanswered 0", removalLost == 0, true));
        checks.Add(new Check("reservation entries left after removing everything (ports, service-ports, names)",
            $"{after.ReservationEntries} ({after.Ports.Count}, {after.ServicePorts.Count}, {after.Names.Count})", "0", after.ReservationEntries == 0, true));
        checks.Add(new Check("containers left after removing everything", left.Count.ToString(), "0 (informational)", left.Count == 0, false));
        foreach (var (name, value) in s.Facts)
            checks.Add(new Check(name, value(), "", true, false));
        checks.Add(new Check("duration", $"{s.Seconds:F1} s", "", true, false));

        Report(s, checks);
        return checks;
    }

    /// <summary>Fails the test, listing the violated checks, when any hard check failed (after the table was printed).</summary>
    public static void AssertAllHold(IReadOnlyList<Check> checks)
    {
        var failed = checks.Where(c => c.Hard && !c.Ok).ToList();
        Assert.True(failed.Count == 0, "Violated: " + string.Join("; ", failed.Select(c => $"{c.Name} = {c.Value} (expected {c.Expected})")));
    }

    private static async Task<List<Check>> SteadyChecksAsync(Scenario s, List<CreateService> commands, bool log)
    {
        var containers = await s.ContainersAsync();
        var redis = await ReadRedisAsync(s, commands);

        var events = s.Bus.Events.Select(e => e.Message).ToList();
        var outcomesByCommand = commands.ToDictionary(c => c.CommandId, c => events.Where(m =>
            m is ServiceCreated created && created.CommandId == c.CommandId ||
            m is ServiceCreationFailed failed && failed.CommandId == c.CommandId).ToList());
        static string Key(object outcome) => outcome switch
        {
            ServiceCreated c => $"created {c.ContainerId} {c.HostPort}",
            ServiceCreationFailed f => $"failed {f.Reason}",
            _ => "?",
        };
        var lost = commands.Count(c => outcomesByCommand[c.CommandId].Count == 0);
        var conflicting = commands.Where(c => outcomesByCommand[c.CommandId].Select(Key).Distinct().Count() > 1).ToList();
        var repeats = outcomesByCommand.Values.Sum(list => Math.Max(0, list.Count - 1));
        var final = commands.Where(c => outcomesByCommand[c.CommandId].Count > 0)
            .ToDictionary(c => c, c => outcomesByCommand[c.CommandId][0]);
        var created = final.Where(p => p.Value is ServiceCreated).ToDictionary(p => p.Key, p => (ServiceCreated)p.Value);
        var failed = final.Where(p => p.Value is ServiceCreationFailed).ToDictionary(p => p.Key, p => (ServiceCreationFailed)p.Value);
        var reasons = string.Join(", ", failed.Values.GroupBy(f => f.Reason).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"));

        var ours = commands.Select(c => c.ServiceId).ToHashSet();
        var multi = containers.GroupBy(c => c.ServiceId).Count(g => g.Count() > 1);
        var foreign = containers.Count(c => !ours.Contains(c.ServiceId));

        var sharedDocker = containers.Where(c => c.HostPort is not null).GroupBy(c => c.HostPort)
            .Count(g => g.Select(c => c.ServiceId).Distinct().Count() > 1);
        var sharedRecords = redis.Records.Values.Where(r => r.Status is ServiceStatus.Running or ServiceStatus.Stopped or ServiceStatus.CrashLooping && r.HostPort is not null)
            .GroupBy(r => r.HostPort).Count(g => g.Count() > 1);
        var sharedEvents = created.GroupBy(p => p.Value.HostPort).Count(g => g.Select(p => p.Key.ServiceId).Distinct().Count() > 1);
        var sampled = Math.Max(0, s.MaxServicesOnOneReservedPort - 1);
        var shared = sharedDocker + sharedRecords + sharedEvents + sampled;

        bool Backed(string serviceId, int? port, string? name) =>
            Guid.TryParse(serviceId, out var id) &&
            containers.Any(c => c.ServiceId == id && (port is null || c.HostPort == port) && (name is null || c.Name == name));
        var leakedPorts = redis.Ports.Count(p => !int.TryParse(p.Port, out var port) || !Backed(p.ServiceId, port, null));
        var leakedServicePorts = redis.ServicePorts.Count(p => !int.TryParse(p.Port, out var port) || !Backed(p.ServiceId, port, null));
        var leakedNames = redis.Names.Count(n => !Backed(n.ServiceId, null, n.Name));
        var leaked = leakedPorts + leakedServicePorts + leakedNames;

        // The other direction: the container of every created service holds its port and its name in Redis.
        var unreserved = 0;
        foreach (var (command, event_) in created)
        {
            var id = command.ServiceId.ToString("D");
            foreach (var container in containers.Where(c => c.ServiceId == command.ServiceId && c.HostPort is not null))
            {
                var port = container.HostPort!.Value.ToString();
                if (!redis.Ports.Contains((port, id)) || !redis.ServicePorts.Contains((id, port)) || !redis.Names.Contains((container.Name, id)))
                {
                    unreserved++;
                    if (log) s.Log($"unreserved: {command.ServiceName} container {container.Id[..12]} on port {port} does not hold its port and name in Redis");
                }
            }
        }

        var stuck = redis.Records.Values.Count(r => r.Status is ServiceStatus.Creating or ServiceStatus.Pending);

        // The outcome must be true: a ServiceCreated names the container that runs and the port it is bound to,
        // and the record says the same; a ServiceCreationFailed must not sit next to a record that says running.
        var disagree = 0;
        foreach (var (command, event_) in created)
        {
            var containerOk = containers.Any(c => c.Id == event_.ContainerId && c.ServiceId == command.ServiceId && c.HostPort == event_.HostPort);
            var recordOk = redis.Records.TryGetValue(command.ServiceId, out var record) &&
                           record.Status is ServiceStatus.Running or ServiceStatus.Stopped or ServiceStatus.CrashLooping &&
                           record.ContainerId == event_.ContainerId && record.HostPort == event_.HostPort;
            if (!containerOk || !recordOk)
            {
                disagree++;
                if (log) s.Log($"disagreement: {command.ServiceName} ServiceCreated({event_.ContainerId[..12]}, port {event_.HostPort}); " +
                      $"engine: {string.Join(", ", containers.Where(c => c.ServiceId == command.ServiceId).Select(c => $"{c.Id[..12]} port {c.HostPort} running={c.Running}"))}; " +
                      $"record: {(record is null ? "none" : $"{record.Status} {record.ContainerId?[..Math.Min(12, record.ContainerId.Length)]} port {record.HostPort}")}");
            }
        }
        foreach (var (command, _) in failed)
        {
            if (redis.Records.TryGetValue(command.ServiceId, out var record) && record.Status is ServiceStatus.Running)
            {
                disagree++;
                if (log) s.Log($"disagreement: {command.ServiceName} ServiceCreationFailed but its record is running");
            }
        }
        var orphans = containers.Count(c => failed.Keys.Any(f => f.ServiceId == c.ServiceId));

        foreach (var command in log ? conflicting : [])
            s.Log($"conflicting outcomes for {command.ServiceName}: {string.Join(" | ", outcomesByCommand[command.CommandId].Select(Key).Distinct())}");

        return
        [
            new Check("commands published (each confirmed by the broker)", commands.Count.ToString(), "", true, false),
            new Check("terminal outcome: created / failed", $"{created.Count} / {failed.Count}{(reasons.Length > 0 ? $" ({reasons})" : "")}", "", true, false),
            new Check("lost (command id without a terminal event)", lost.ToString(), "0", lost == 0, true),
            new Check("command ids with more than one distinct outcome", conflicting.Count.ToString(), "0", conflicting.Count == 0, true),
            new Check("repeated deliveries of the same outcome", repeats.ToString(), "allowed", true, false),
            new Check("containers / services with more than one container", $"{containers.Count} / {multi}", "any / 0", multi == 0, true),
            new Check("containers of no command of this scenario", foreign.ToString(), "0", foreign == 0, true),
            new Check("host ports shared by two live services (engine, records, events, sampled reservations)",
                $"{shared} ({sharedDocker}, {sharedRecords}, {sharedEvents}, {sampled})", "0", shared == 0, true),
            new Check("reservations without a live container (ports, service-ports, names)",
                $"{leaked} ({leakedPorts}, {leakedServicePorts}, {leakedNames})", "0", leaked == 0, true),
            new Check("containers of created services whose port or name is not reserved", unreserved.ToString(), "0", unreserved == 0, true),
            new Check("records stuck in creating/pending", stuck.ToString(), "0", stuck == 0, true),
            new Check("outcomes that disagree with the engine or the record", disagree.ToString(), "0", disagree == 0, true),
            new Check("containers of failed services (left for the reconciler)", orphans.ToString(), "informational", true, false),
        ];
    }

    private static async Task<RedisState> ReadRedisAsync(Scenario s, List<CreateService> commands)
    {
        var db = s.Redis.Db;
        var ports = (await db.HashGetAllAsync(s.Keys.Ports)).Select(e => (e.Name.ToString(), e.Value.ToString())).ToList();
        var servicePorts = (await db.HashGetAllAsync(s.Keys.ServicePorts)).Select(e => (e.Name.ToString(), e.Value.ToString())).ToList();
        var names = (await db.HashGetAllAsync(s.Keys.Names)).Select(e => (e.Name.ToString(), e.Value.ToString())).ToList();
        var store = new ServiceRecordStore(s.Redis.Multiplexer, s.Keys);
        var ids = (await db.SortedSetRangeByRankAsync(s.Keys.AllServices))
            .Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty)
            .Concat(commands.Select(c => c.ServiceId)).ToHashSet();
        var records = new Dictionary<Guid, ServiceRecord>();
        foreach (var id in ids)
        {
            if (await store.GetAsync(id) is { } record)
                records[id] = record;
        }
        return new RedisState(ports, servicePorts, names, records);
    }

    private static void Report(Scenario s, IReadOnlyList<Check> checks)
    {
        var table = new StringBuilder();
        table.AppendLine($"### {s.Name}: {s.Title}");
        table.AppendLine();
        table.AppendLine("| check | result | expected | |");
        table.AppendLine("|---|---|---|---|");
        foreach (var check in checks)
            table.AppendLine($"| {check.Name} | {check.Value} | {check.Expected} | {(check.Ok ? "ok" : check.Hard ? "**FAIL**" : "note")} |");
        table.AppendLine();
        var text = table.ToString();
        s.Log("\n" + text);

        string Value(string prefix) => checks.FirstOrDefault(c => c.Name.StartsWith(prefix, StringComparison.Ordinal))?.Value.Split(' ')[0] ?? "-";
        var verdict = checks.All(c => c.Ok || !c.Hard) ? "pass" : "**FAIL**: " + string.Join("; ", checks.Where(c => c.Hard && !c.Ok).Select(c => c.Name));
        var row = $"| {s.Name} | {Value("commands published")} | {checks.First(c => c.Name.StartsWith("terminal outcome", StringComparison.Ordinal)).Value} | " +
                  $"{Value("lost")} | {Value("command ids with more")} | {Value("repeated")} | {checks.First(c => c.Name.StartsWith("containers / services", StringComparison.Ordinal)).Value.Split(" / ")[1]} | " +
                  $"{Value("host ports shared")} | {Value("reservations without")} | {Value("containers of created services whose")} | {Value("records stuck")} | " +
                  $"{Value("outcomes that disagree")} | {Value("reservation entries left")} | {Value("duration")} s | {verdict} |";
        var summary = Path.Combine(Paths.Results, "fault-summary.md");
        lock (FileGate)
        {
            File.WriteAllText(Path.Combine(s.LogDirectory, "table.md"), text);
            File.AppendAllText(Path.Combine(Paths.Results, "fault-tables.md"), $"<!-- {DateTime.UtcNow:O} -->\n" + text);
            if (!File.Exists(summary))
            {
                File.WriteAllText(summary,
                    "| scenario | N | created / failed | lost | >1 outcome | repeats | services with >1 container | ports shared | reservations w/o container | containers w/o reservation | stuck creating | outcome ≠ reality | reservations left after removal | duration | result |\n" +
                    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            }
            File.AppendAllText(summary, row + "\n");
        }
    }
}
