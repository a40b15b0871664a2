using System.Diagnostics;

namespace Messaging.Testing;

/// <summary>
/// <c>infra/second-engine.sh ACTION NAME INDEX</c>: a Docker engine of the tests' own in a network namespace (the fault
/// tests' dockerd restart, the two-node swarm). Its standard output on success; a failure names the action and says
/// what the script printed.
/// </summary>
public static class SecondEngineScript
{
    public static async Task<string> RunAsync(string action, string name, string index)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(TestPaths.SolutionDirectory, "infra", "second-engine.sh"), action, name, index])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"infra/second-engine.sh {action} failed ({process.ExitCode}): {await stderr}{await stdout}");
        return await stdout;
    }
}
