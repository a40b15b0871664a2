using System.CommandLine;
using Messaging.Cli.Api;
using Messaging.Cli.Output;

namespace Messaging.Cli.Commands;

/// <summary><c>list</c>, <c>get</c>, <c>logs</c> and <c>stats</c>: they only read.</summary>
internal static class ReadCommands
{
    public static Argument<string> ServiceArgument() => new("service") { Description = "Service name or id" };

    public static Command List(CliContext cli)
    {
        var status = new Option<string>("--status") { Description = "Only services in this status (removed ones are shown only this way)" };
        var health = new Option<string>("--health") { Description = "Only services with this health: starting, healthy, unhealthy or none" };
        var command = new Command("list", "List your services (everyone's with an admin token); failed and removed ones go once the worker's record retention (7 days by default) has passed") { status, health };
        command.Aliases.Add("ls");
        command.SetAction(cli.Action(async (parse, session) =>
        {
            // All pages: a table that silently stops at 200 rows would mislead.
            var services = new List<ApiResult<ServiceView>>();
            await foreach (var service in session.Api.ListAsync(parse.GetValue(status), session.CancellationToken, parse.GetValue(health)))
                services.Add(service);
            if (session.Json)
                ServicePrinter.WriteJsonPage(session.Out, services.Select(s => s.Json));
            else
                ServicePrinter.WriteList(session.Out, services.Select(s => s.Value).ToList());
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Get(CliContext cli)
    {
        var service = ServiceArgument();
        var command = new Command("get", "Show one service") { service };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var found = await ServiceResolver.ResolveAsync(session, parse.GetValue(service)!);
            return session.Print(found, ServicePrinter.WriteDetails);
        }));
        return command;
    }

    public static Command Logs(CliContext cli)
    {
        var service = ServiceArgument();
        var tail = new Option<int?>("--tail", "-n") { Description = "Number of lines from the end [default: the API's, 100]" };
        var command = new Command("logs", "Print the last lines the container wrote") { service, tail };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var found = await ServiceResolver.ResolveAsync(session, parse.GetValue(service)!);
            var logs = await session.Api.LogsAsync(found.Value.ServiceId, parse.GetValue(tail), session.CancellationToken);
            return session.Print(logs, (output, value) =>
            {
                foreach (var line in value.Lines)
                    output.WriteLine(line);
            });
        }));
        return command;
    }

    public static Command Stats(CliContext cli)
    {
        var service = ServiceArgument();
        var command = new Command("stats", "Show a running service's CPU, memory, network and block I/O, and pids, read once from the engine") { service };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var found = await ServiceResolver.ResolveAsync(session, parse.GetValue(service)!);
            var stats = await session.Api.StatsAsync(found.Value.ServiceId, session.CancellationToken);
            return session.Print(stats, (output, value) => StatsPrinter.Write(output, found.Value.ServiceName, value));
        }));
        return command;
    }
}
