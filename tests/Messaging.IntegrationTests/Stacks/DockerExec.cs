using System.Diagnostics;

namespace Messaging.IntegrationTests.Stacks;

/// <summary>Runs a program in a container with the Docker CLI, as an operator would.</summary>
internal static class DockerExec
{
    /// <summary>Its exit code, and its standard output (with standard error after it when it failed).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string containerId, params string[] command)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(containerId);
        foreach (var part in command)
            start.ArgumentList.Add(part);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, process.ExitCode == 0 ? await output : await output + await error);
    }
}
