using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Policy;
using Messaging.Worker.Supervision;

namespace Messaging.UnitTests;

public sealed class SupervisionPolicyTests
{
    private static readonly SupervisorOptions Options = new()
    {
        BackoffBase = TimeSpan.FromSeconds(1), BackoffCap = TimeSpan.FromSeconds(30), StableUptime = TimeSpan.FromMinutes(5), MaxRestartsCap = 10,
    };

    private static readonly DateTimeOffset Now = new(2026, 12, 2, 2, 0, 0, TimeSpan.Zero);

    private static SupervisionPolicy Policy(int maxRestarts = 3, string restart = RestartPolicies.OnFailure) =>
        new(restart, maxRestarts, TimeSpan.FromMinutes(10), UnhealthyActions.Restart);

    [Theory]
    [InlineData(1, 0.0, 500)]
    [InlineData(1, 0.999999, 1000)]
    [InlineData(2, 0.0, 1000)]
    [InlineData(3, 0.5, 3000)]
    [InlineData(6, 0.0, 15000)]   // 32 s ceiling capped to 30 s: half of it at the least
    [InlineData(6, 0.999999, 30000)]
    [InlineData(200, 0.999999, 30000)] // far past the cap, and no overflow
    public void Backoff_doubles_per_attempt_with_equal_jitter_up_to_the_cap(int attempt, double random, int expectedMs) =>
        Assert.Equal(expectedMs, RestartBackoff.Delay(attempt, Options.BackoffBase, Options.BackoffCap, random).TotalMilliseconds, precision: 0);

    [Fact]
    public void Backoff_delays_never_shrink_from_one_attempt_to_the_next_whatever_the_jitter()
    {
        for (var attempt = 1; attempt < 12; attempt++)
        {
            var longestNow = RestartBackoff.Delay(attempt, Options.BackoffBase, Options.BackoffCap, 0.999999);
            var shortestNext = RestartBackoff.Delay(attempt + 1, Options.BackoffBase, Options.BackoffCap, 0);
            Assert.True(shortestNext >= longestNow - TimeSpan.FromMilliseconds(1) || shortestNext == TimeSpan.FromTicks(Options.BackoffCap.Ticks / 2),
                $"attempt {attempt}: {longestNow} then {shortestNext}");
        }
    }

    [Theory]
    [InlineData(RestartPolicies.Never, 1, false, false)]
    [InlineData(RestartPolicies.OnFailure, 0, false, false)]
    [InlineData(RestartPolicies.OnFailure, 1, false, true)]
    [InlineData(RestartPolicies.OnFailure, 0, true, true)]
    [InlineData(RestartPolicies.Always, 0, false, true)]
    public void Which_exits_are_restarted(string restart, long exitCode, bool oom, bool restarted) =>
        Assert.Equal(restarted, Policy(restart: restart).RestartsAfter(exitCode, oom));

    [Fact]
    public void Restarts_count_up_in_their_window_and_the_one_past_the_limit_is_a_crash_loop()
    {
        var state = RestartState.Initial;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var plan = Policy().NextRestart(state, ranStably: false, Now.AddSeconds(attempt), Options, 0);
            Assert.NotNull(plan);
            Assert.Equal(attempt, plan.Attempt);
            Assert.Equal(Now.AddSeconds(1), plan.WindowStartedAt);
            state = new RestartState(plan.Attempt, plan.WindowStartedAt, null, null, TimeSpan.Zero);
        }
        Assert.Null(Policy().NextRestart(state, ranStably: false, Now.AddSeconds(4), Options, 0));
    }

    [Fact]
    public void The_first_restart_of_a_window_is_immediate_and_backoff_begins_with_the_second()
    {
        var first = Policy().NextRestart(RestartState.Initial, ranStably: false, Now, Options, 0.999999)!;
        Assert.Equal(TimeSpan.Zero, first.Delay);
        var second = Policy().NextRestart(new RestartState(1, Now, null, null, TimeSpan.Zero), ranStably: false, Now.AddSeconds(1), Options, 0)!;
        Assert.Equal(Options.BackoffBase / 2, second.Delay); // half of the base, at the least
        var third = Policy().NextRestart(new RestartState(2, Now, null, null, TimeSpan.Zero), ranStably: false, Now.AddSeconds(2), Options, 0)!;
        Assert.Equal(Options.BackoffBase, third.Delay); // half of 2 x base

        var configured = new SupervisorOptions { FirstRestartDelay = TimeSpan.FromSeconds(2), BackoffBase = TimeSpan.FromSeconds(1), BackoffCap = TimeSpan.FromSeconds(30) };
        Assert.Equal(TimeSpan.FromSeconds(2), Policy().NextRestart(RestartState.Initial, ranStably: false, Now, configured, 0)!.Delay);
    }

    [Fact]
    public void A_stable_run_or_an_expired_window_starts_the_count_again()
    {
        var spent = new RestartState(3, Now, null, null, TimeSpan.Zero);
        Assert.Equal(1, Policy().NextRestart(spent, ranStably: true, Now.AddMinutes(1), Options, 0)!.Attempt);
        var afterWindow = Policy().NextRestart(spent, ranStably: false, Now.AddMinutes(11), Options, 0)!;
        Assert.Equal(1, afterWindow.Attempt);
        Assert.Equal(Now.AddMinutes(11), afterWindow.WindowStartedAt);
    }

    [Fact]
    public void No_restarts_allowed_means_the_first_failure_is_a_crash_loop() =>
        Assert.Null(Policy(maxRestarts: 0).NextRestart(RestartState.Initial, ranStably: false, Now, Options, 0));

    [Fact]
    public void A_request_overrides_its_entry_within_the_cap()
    {
        var entry = new AllowedImage { Image = "nginx:alpine", User = "101:101", Supervision = new RestartDefaults { Restart = RestartPolicies.Always, MaxRestarts = 4 } };
        var plain = SupervisionPolicy.For(new ServiceRecord(), entry, Options);
        Assert.Equal((RestartPolicies.Always, 4, UnhealthyActions.Restart), (plain.Restart, plain.MaxRestarts, plain.OnUnhealthy));

        var asked = SupervisionPolicy.For(new ServiceRecord { Overrides = new SupervisionOverrides(RestartPolicies.Never, 50, UnhealthyActions.Report) }, entry, Options);
        Assert.Equal((RestartPolicies.Never, 10, UnhealthyActions.Report), (asked.Restart, asked.MaxRestarts, asked.OnUnhealthy));
    }

    [Fact]
    public void A_worker_probed_check_is_not_set_on_the_container_and_cannot_be_a_command()
    {
        Assert.False(new ServiceHealthCheck { ProbedBy = ServiceHealthCheck.ByWorker }.RunsInContainer);
        Assert.True(new ServiceHealthCheck().RunsInContainer);
        Assert.Contains(new ServiceHealthCheck { ProbedBy = ServiceHealthCheck.ByWorker, Kind = ServiceHealthCheck.Command, Run = ["true"] }.Problems("x"),
            p => p.Contains("the worker can probe only http and tcp"));
        Assert.Contains(new ServiceHealthCheck { ProbedBy = "sidecar" }.Problems("x"), p => p.Contains("ProbedBy 'sidecar'"));
        Assert.Empty(new ServiceHealthCheck { ProbedBy = ServiceHealthCheck.ByWorker, Kind = ServiceHealthCheck.Tcp }.Problems("x"));
    }

    [Fact]
    public void The_shipped_default_entry_gets_a_health_check_busybox_can_run()
    {
        var check = new ServiceHealthCheck { Kind = ServiceHealthCheck.Http, Path = "/" };
        Assert.Equal(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:80/"], check.Test(80));
        Assert.Equal("CMD-SHELL", new ServiceHealthCheck { ExpectedStatus = 404, Path = "/gone" }.Test(8080)[0]);
        Assert.Equal(["CMD", "nc", "-w", "5", "127.0.0.1", "6379"], new ServiceHealthCheck { Kind = ServiceHealthCheck.Tcp }.Test(6379));
    }

    [Theory]
    [InlineData("Kind", "grpc")]
    [InlineData("Path", "/x'; rm -rf / #")]
    [InlineData("Path", "no-slash")]
    [InlineData("Retries", "0")]
    [InlineData("Timeout", "00:10:00")]
    [InlineData("Run", "")]
    public void A_bad_health_check_stops_the_worker_at_start(string field, string value)
    {
        var check = new ServiceHealthCheck();
        switch (field)
        {
            case "Kind": check.Kind = value; break;
            case "Path": check.Path = value; break;
            case "Retries": check.Retries = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Timeout": check.Timeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Run": check.Kind = ServiceHealthCheck.Command; check.Run = []; break;
        }
        var options = new ImagePolicyOptions { AllowedImages = [new AllowedImage { Image = "nginx:alpine", User = "101:101", HealthCheck = check }] };
        Assert.Contains(options.Problems(), p => p.Contains("HealthCheck", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_restart_policy_stops_the_worker_at_start()
    {
        var options = new ImagePolicyOptions
        {
            AllowedImages = [new AllowedImage { Image = "nginx:alpine", User = "101:101", Supervision = new RestartDefaults { Restart = "sometimes", OnUnhealthy = "ignore" } }],
        };
        Assert.Equal(2, options.Problems().Count(p => p.Contains("Supervision", StringComparison.Ordinal)));
    }
}
