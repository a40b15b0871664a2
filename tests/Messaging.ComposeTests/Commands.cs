using System.Diagnostics;

namespace Messaging.ComposeTests;

/// <summary>What a command printed and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
    public string Text => Output.Trim();
}

/// <summary>
/// The command-line tools the compose checks use as an operator would: the compose tool and the Docker
/// CLI (for <c>exec</c> into the stack's containers). Their environment is the test's minus what is
/// removed, so that the env file, not the calling shell, decides the stack's settings.
/// </summary>
public static class Commands
{
    /// <summary>Debian's docker.io client (API 1.41) matches the engine here; another client gets the version pinned.</summary>
    public static string DockerCli { get; } = File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, string? logFile = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (file == DockerCli && DockerCli != "/usr/bin/docker")
            start.Environment["DOCKER_API_VERSION"] = "1.41";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            var partial = await stdout + await stderr;
            await LogAsync(logFile, file, start.ArgumentList, partial);
            return new CommandResult(-1, $"{partial}\n(timed out after {timeout})");
        }
        var output = await stdout + await stderr;
        await LogAsync(logFile, file, start.ArgumentList, output);
        return new CommandResult(process.ExitCode, output);
    }

    /// <summary><c>docker exec CONTAINER command...</c>.</summary>
    public static Task<CommandResult> ExecAsync(string container, params string[] command) =>
        RunAsync(DockerCli, ["exec", container, .. command], TimeSpan.FromSeconds(30));

    private static async Task LogAsync(string? logFile, string file, IEnumerable<string> arguments, string output)
    {
        if (logFile is not null)
            await File.AppendAllTextAsync(logFile, $"$ {file} {string.Join(' ', arguments)}\n{output}\n");
    }
}
