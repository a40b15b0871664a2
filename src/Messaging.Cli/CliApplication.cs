using System.CommandLine;
using System.CommandLine.Parsing;
using Messaging.Cli.Commands;

namespace Messaging.Cli;

/// <summary>The <c>messaging</c> command line. <see cref="RunAsync"/> is the whole program, callable in-process by tests.</summary>
public static class CliApplication
{
    public const string DefaultUrl = "http://localhost:8080";
    public const string UrlVariable = "MESSAGING_URL";
    public const string TokenVariable = "MESSAGING_TOKEN";

    /// <summary>
    /// Runs one command line and returns its exit code (<see cref="ExitCodes"/>). <paramref name="environment"/>
    /// is where <c>MESSAGING_URL</c> and <c>MESSAGING_TOKEN</c> are looked up; null means none are set (so that
    /// tests do not depend on the machine's environment; Program passes the real one).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        var cli = new CliContext(stdout, stderr, environment ?? new Dictionary<string, string?>());
        var root = new RootCommand("Run Docker services through the Messaging REST API.")
        {
            cli.Url,
            cli.Token,
            cli.Json,
            CreateCommand.Build(cli),
            ReadCommands.List(cli),
            ReadCommands.Get(cli),
            ReadCommands.Logs(cli),
            ReadCommands.Stats(cli),
            LifecycleCommands.Stop(cli),
            LifecycleCommands.Start(cli),
            LifecycleCommands.Restart(cli),
            LifecycleCommands.Remove(cli),
            TokenCommands.Build(cli),
            StackCommands.Build(cli),
            BuildCommand.Build(cli),
        };

        var parsed = root.Parse(args);
        // System.CommandLine would answer a usage error with exit code 1, the same as an API error; scripts
        // should be able to tell "you called me wrong" (2) from "the API said no" (1).
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                await stderr.WriteLineAsync($"error: {error.Message}");
            await stderr.WriteLineAsync($"See '{CommandPath(parsed.CommandResult)} --help'.");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }

    /// <summary>The command as typed, from the root: <c>messaging tokens create</c>.</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new Stack<string>();
        for (SymbolResult? result = command; result is CommandResult { Command: not RootCommand } current; result = current.Parent)
            names.Push(current.Command.Name);
        names.Push("messaging");
        return string.Join(' ', names);
    }
}
