using Messaging.Cli;

namespace Messaging.IntegrationTests.Stacks;

/// <summary><c>messaging stack up -f FILE NAME</c>, <c>stack ls</c>, <c>stack rm</c> against the real system.</summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class StackCliTests(SystemFixture system)
{
    private async Task<(int ExitCode, string Out, string Error)> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await CliApplication.RunAsync([.. args, "--url", system.ApiAddress.ToString(), "--token", SystemFixture.Token], stdout, stderr)
            .WaitAsync(TimeSpan.FromMinutes(3)); // a wait that never ends must fail the test, not hang the run
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Stack_up_waits_for_every_member_then_ls_shows_it_and_rm_removes_it()
    {
        var name = $"cli-st-{Guid.NewGuid():N}"[..14];
        var file = Path.Combine(Path.GetTempPath(), $"{name}.yml");
        await File.WriteAllTextAsync(file, "services:\n  web:\n    image: nginx:alpine\n    ports: [\"80\"]\n  store:\n    image: nginx:alpine\n");
        try
        {
            var up = await Cli("stack", "up", "-f", file, name, "--wait");
            Assert.True(up.ExitCode == 0, $"{up.Out}\n{up.Error}");
            Assert.Contains($"Stack {name}", up.Out);
            Assert.Contains($"{name}-store", up.Out);

            var list = await Cli("stack", "ls");
            Assert.Contains(name, list.Out);
            Assert.Contains("2/2 running", list.Out);

            var removed = await Cli("stack", "rm", name);
            Assert.True(removed.ExitCode == 0, removed.Error);
            await WaitUntil(async () => (await system.OurContainers($"{name}-web")).Count == 0 && (await system.OurContainers($"{name}-store")).Count == 0);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Stack_up_with_a_refused_file_prints_the_offending_key_and_fails()
    {
        var file = Path.Combine(Path.GetTempPath(), $"cli-bad-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, "services:\n  db:\n    image: nginx:alpine\n    volumes: [\"/:/host\"]\n");
        try
        {
            var up = await Cli("stack", "up", "-f", file, "cli-bad");
            Assert.Equal(ExitCodes.Failure, up.ExitCode);
            Assert.Contains("services.db.volumes", up.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(250);
        }
    }
}
