using System.Diagnostics;

namespace Messaging.IntegrationTests;

/// <summary>
/// The shell example of README "Messages for other systems" (the same block as in docs/CONTRACTS.md), run
/// with bash exactly as written, against the fixture's worker: it must publish and print a ServiceCreated.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class RawAmqpShellExampleTests(SystemFixture system)
{
    private static string SolutionDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            directory = directory.Parent;
        return directory!.FullName;
    }

    /// <summary>The first <c>```sh</c> block after <paramref name="heading"/> (or anywhere after the top when null).</summary>
    private static string ShellBlock(string file, string heading)
    {
        var text = File.ReadAllText(Path.Combine(SolutionDirectory(), file)).ReplaceLineEndings("\n");
        var section = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(section >= 0, $"{file} has no '{heading}'");
        var start = text.IndexOf("```sh\n", section, StringComparison.Ordinal) + "```sh\n".Length;
        var end = text.IndexOf("```\n", start, StringComparison.Ordinal);
        return text[start..end];
    }

    [Fact]
    public async Task The_documented_shell_example_publishes_a_CreateService_and_prints_its_ServiceCreated()
    {
        var example = ShellBlock("README.md", "## Messages for other systems");
        Assert.Equal(example, ShellBlock("docs/CONTRACTS.md", "## From a shell"));

        var name = $"shell-{Guid.NewGuid():N}"[..20];
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, Environment = { ["NAME"] = name } };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(example);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token);

        var printed = await output;
        Assert.True(process.ExitCode == 0, printed + await errors);
        Assert.Contains("{\"routed\":true}", printed);
        Assert.Contains("\"exchange\":\"Messaging.Contracts:ServiceCreated\"", printed);
        Assert.True(printed.Contains(name), printed);
        Assert.Single(await system.OurContainers(name));
    }
}
