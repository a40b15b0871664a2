namespace Messaging.ComposeTests.Upgrade;

/// <summary>
/// Every .NET process of the stack gets longer to stop than its own shutdown timeout, so that a <c>stop</c> or the
/// recreation of an upgrade lets it finish (or hand back) what it has in flight before the engine's SIGKILL. Compose's
/// default is 10 s: it killed the worker (shutdown timeout 60 s) in the middle of creations on every upgrade
/// (docs/FAULTS.md, scenario 12). The scenario itself (<see cref="RollingUpgradeTests"/>) checks the exit codes.
/// </summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
public sealed class StopGracePeriodTests(ComposeStack stack)
{
    [Theory]
    [InlineData("worker", 60)] // HostOptions.ShutdownTimeout of the worker (WorkerSetup)
    [InlineData("api", 30)] // .NET's default HostOptions.ShutdownTimeout
    [InlineData("audit", 30)]
    [InlineData("edge", 30)]
    public async Task The_engine_waits_longer_than_the_process_shutdown_timeout_before_killing_it(string service, int shutdownTimeoutSeconds)
    {
        // The CLI's reading (seconds, as the engine stores it; <no value> when unset: 10 s).
        var inspect = await Commands.RunAsync(Commands.DockerCli, ["inspect", "-f", "{{.Config.StopTimeout}}", stack.ContainerOf(service)], TimeSpan.FromSeconds(30));
        Assert.True(inspect.Succeeded, inspect.Text);
        Assert.True(int.TryParse(inspect.Text, out var seconds) && seconds > shutdownTimeoutSeconds,
            $"{service}: the engine kills it {inspect.Text} s after SIGTERM (<no value>: 10); its own shutdown may take {shutdownTimeoutSeconds} s");
    }
}
