using Messaging.Contracts;
using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 4: the Docker engine goes away while commands arrive, and comes back. dockerd is shared, so it is
/// never stopped: the worker reaches the engine through a unix socket proxy of the test's own
/// (<c>Docker__Endpoint=unix:///tmp/messaging-faults-*.sock</c>), and stopping the proxy removes the socket and
/// cuts every open connection. Creations that meet the missing engine fail with <c>docker_unavailable</c>
/// (nothing else); once the engine is back, new commands succeed.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class EngineAwayTests(ITestOutputHelper output)
{
    [Fact, Trait("Speed", "Fast")]
    public async Task Engine_goes_away_and_returns_6_creations()
    {
        await using var s = await Scenario.StartAsync("engine-away-n6",
            "the engine goes away while commands arrive, then returns (N=6: 2 with the engine, 2 without, 2 after it returned)", output);
        var proxy = s.StartProxy();
        var worker = s.StartWorker(s.Settings(dockerEndpoint: proxy.Endpoint));
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        var up = await s.PublishCreatesAsync(2, "up");
        await s.WaitForTerminalAsync(up, TimeSpan.FromSeconds(60));

        await proxy.StopAsync();
        s.Log("engine away (proxy stopped)");
        var away = await s.PublishCreatesAsync(2, "away");
        await s.WaitForTerminalAsync(away, TimeSpan.FromSeconds(90));

        proxy.Start();
        s.Log("engine back (proxy started)");
        var back = await s.PublishCreatesAsync(2, "back");
        await s.WaitForTerminalAsync(back, TimeSpan.FromSeconds(90));

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(60), allCreated: false, extraChecks: PhaseChecks(s, up, inFlight: [], away, back));
        Verification.AssertAllHold(checks);
    }

    [Fact]
    public async Task Engine_goes_away_while_24_creations_are_in_flight_and_arriving()
    {
        await using var s = await Scenario.StartAsync("engine-away-n24",
            "the engine goes away in the middle of a batch and while more commands arrive, then returns (N=24: 12 in flight, 6 while away, 6 after)", output);
        var proxy = s.StartProxy();
        var worker = s.StartWorker(s.Settings(dockerEndpoint: proxy.Endpoint));
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        var batch = await s.PublishCreatesAsync(12, "mid");
        await Scenario.WaitUntilAsync(() => worker.CreatedLogged >= 4, TimeSpan.FromSeconds(60));
        await proxy.StopAsync();
        s.Log($"engine away (proxy stopped, {proxy.Cut} sockets cut) with {s.TerminalCount(batch)}/12 of the batch finished");
        var away = await s.PublishCreatesAsync(6, "away");
        await s.WaitForTerminalAsync([.. batch, .. away], TimeSpan.FromSeconds(120));

        proxy.Start();
        s.Log("engine back (proxy started)");
        var back = await s.PublishCreatesAsync(6, "back");
        await s.WaitForTerminalAsync(back, TimeSpan.FromSeconds(90));

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(60), allCreated: false, extraChecks: PhaseChecks(s, [], batch, away, back));
        Verification.AssertAllHold(checks);
    }

    private static IEnumerable<Check> PhaseChecks(Scenario s, IReadOnlyList<CreateService> up, IReadOnlyList<CreateService> inFlight,
        IReadOnlyList<CreateService> away, IReadOnlyList<CreateService> back)
    {
        string Summary(IEnumerable<CreateService> commands) => string.Join(", ", commands
            .Select(c => s.OutcomesOf(c.CommandId).FirstOrDefault() switch
            {
                ServiceCreated => "created",
                ServiceCreationFailed f => f.Reason,
                _ => "none",
            })
            .GroupBy(x => x).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"));
        int Count(IEnumerable<CreateService> commands, Func<object?, bool> match) => commands.Count(c => match(s.OutcomesOf(c.CommandId).FirstOrDefault()));
        static bool Created(object? o) => o is ServiceCreated;
        static bool Unavailable(object? o) => o is ServiceCreationFailed { Reason: FailureReasons.DockerUnavailable };

        if (up.Count > 0)
            yield return new Check("sent with the engine up: created", Summary(up), $"created={up.Count}", Count(up, Created) == up.Count, true);
        if (inFlight.Count > 0)
            yield return new Check("in flight when the engine went away: created or docker_unavailable", Summary(inFlight), "no other reason",
                Count(inFlight, o => Created(o) || Unavailable(o)) == inFlight.Count, true);
        yield return new Check("sent while the engine was away: docker_unavailable", Summary(away), $"docker_unavailable={away.Count}",
            Count(away, Unavailable) == away.Count, true);
        yield return new Check("sent after the engine returned: created", Summary(back), $"created={back.Count}", Count(back, Created) == back.Count, true);
    }
}
