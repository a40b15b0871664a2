using System.Diagnostics;

namespace Messaging.Testing;

/// <summary>
/// Runs one of the repository's <c>infra/</c> scripts as the tests need them for real: <c>second-engine.sh</c> (an engine
/// of the tests' own in a network namespace: the fault tests' dockerd restart, the two-node swarm) and
/// <c>port-isolation.sh</c> (a swarm node's firewall rules, on the host or in such a namespace). Returns its standard
/// output on success; a failure names the script and action and says what it printed.
/// </summary>
public static class InfraScript
{
    public static Task<string> RunAsync(string script, params string[] args) =>
        ExecAsync("bash", [Path.Combine(TestPaths.SolutionDirectory, "infra", script), .. args], $"infra/{script} {string.Join(' ', args)}");

    /// <summary>The script in the network namespace <paramref name="netns"/> (its firewall is that namespace's own).</summary>
    public static Task<string> RunInNamespaceAsync(string netns, string script, params string[] args) =>
        ExecAsync("nsenter", [$"--net=/var/run/netns/{netns}", "bash", Path.Combine(TestPaths.SolutionDirectory, "infra", script), .. args],
            $"infra/{script} {string.Join(' ', args)} (in {netns})");

    private static async Task<string> ExecAsync(string program, string[] args, string what)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{what} failed ({process.ExitCode}): {await stderr}{await stdout}");
        return await stdout;
    }
}
