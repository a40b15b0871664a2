using System.CommandLine;
using Messaging.Cli.Api;
using Messaging.Cli.Output;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary><c>stop</c>, <c>start</c>, <c>restart</c>, <c>rm</c>: one API command each, optionally waited for.</summary>
internal static class LifecycleCommands
{
    public static Command Stop(CliContext cli) =>
        Build(cli, "stop", "stop", "Stop a running service", ServiceStatus.Stopped, []);

    public static Command Start(CliContext cli) =>
        Build(cli, "start", "start", "Start a stopped service", ServiceStatus.Running, []);

    public static Command Restart(CliContext cli) =>
        Build(cli, "restart", "restart", "Restart a service", ServiceStatus.Running, []);

    public static Command Remove(CliContext cli)
    {
        var command = Build(cli, "rm", "remove", "Remove a service and its container", ServiceStatus.Removed, [ServiceStatus.Removing]);
        command.Aliases.Add("remove");
        return command;
    }

    private static Command Build(CliContext cli, string name, string apiCommand, string description, string target, IReadOnlyList<string> inProgress)
    {
        var service = ReadCommands.ServiceArgument();
        var wait = new WaitOptions();
        var command = new Command(name, $"{description}; --wait until it is {target}") { service };
        wait.AddTo(command);
        command.SetAction(cli.Action(async (parse, session) =>
        {
            // The record before the command: its updated_at tells the worker's outcome from the old state.
            var before = await ServiceResolver.ResolveAsync(session, parse.GetValue(service)!);
            var serviceName = before.Value.ServiceName;
            var accepted = await session.Api.SendCommandAsync(before.Value.ServiceId, apiCommand, session.CancellationToken);

            var waiter = wait.For(parse, session);
            if (waiter is null)
                return session.Print(accepted, (output, value) => output.WriteLine($"{serviceName}: {value.Command} accepted, command id {value.CommandId}"));

            var final = await waiter.WaitAsync(before.Value.ServiceId, serviceName, new WaitGoal(target, inProgress, before.Value.UpdatedAt));
            if (session.Json)
                ServicePrinter.WriteJson(session.Out, final?.Json ?? accepted.Json);
            else
                await session.Out.WriteLineAsync($"{serviceName} is {target}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
