using System.CommandLine;
using Messaging.Cli.Api;
using Messaging.Cli.Output;

namespace Messaging.Cli.Commands;

/// <summary><c>stack up|ls|get|rm</c>: stacks from compose files (docs/STACKS.md).</summary>
internal static class StackCommands
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromMinutes(5);

    public static Command Build(CliContext cli)
    {
        var command = new Command("stack", "Run a set of services from a compose file, as one stack") { Up(cli), List(cli), Get(cli), Remove(cli) };
        command.Aliases.Add("stacks");
        return command;
    }

    private static Argument<string> NameOrId() => new("stack") { Description = "Stack name or id" };

    private static Command Up(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "Stack name: 2-63 of a-z, 0-9 and '-'; members become NAME-MEMBER" };
        var file = new Option<FileInfo>("--file", "-f") { Description = "The compose file (the subset of docs/STACKS.md)", Required = true };
        var keep = new Option<bool>("--keep-started") { Description = "When a member fails, keep the members that started instead of rolling back" };
        var wait = new Option<bool>("--wait") { Description = "Wait until every member runs (exit 1 with the reason if the stack fails)" };
        var command = new Command("up", "Create a stack from a compose file") { name, file, keep, wait };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
                throw new CliException($"no such file: {path.FullName}", ExitCodes.Usage);
            var text = await File.ReadAllTextAsync(path.FullName, session.CancellationToken);
            var accepted = await session.Api.CreateStackAsync(
                new CreateStackRequest(parse.GetValue(name)!, text, parse.GetValue(keep) ? true : null), session.CancellationToken);
            if (!parse.GetValue(wait))
                return session.Print(accepted, (output, a) => output.WriteLine($"Stack {a.Name} accepted ({a.StackId}): {a.Status}"));
            var done = await WaitForOutcome(session, accepted.Value.StackId);
            session.Print(done, StackPrinter.WriteDetails);
            return done.Value.Status == "running" ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List your stacks (everyone's for admin)");
        command.Aliases.Add("list");
        command.SetAction(cli.Action(async (_, session) =>
            session.Print(await session.Api.ListStacksAsync(session.CancellationToken), StackPrinter.WriteList)));
        return command;
    }

    private static Command Get(CliContext cli)
    {
        var stack = NameOrId();
        var command = new Command("get", "Show a stack and each member's status") { stack };
        command.SetAction(cli.Action(async (parse, session) =>
            session.Print(await session.Api.GetStackAsync(await Resolve(session, parse.GetValue(stack)!), session.CancellationToken), StackPrinter.WriteDetails)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var stack = NameOrId();
        var command = new Command("rm", "Remove a stack: every member and its network") { stack };
        command.Aliases.Add("remove");
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var removed = await session.Api.RemoveStackAsync(await Resolve(session, parse.GetValue(stack)!), session.CancellationToken);
            return session.Print(removed, (output, a) => output.WriteLine($"Stack {a.Name} ({a.StackId}): removal accepted"));
        }));
        return command;
    }

    /// <summary>An id as given, or the id of the caller's live stack with that name.</summary>
    private static async Task<Guid> Resolve(Session session, string nameOrId)
    {
        if (Guid.TryParse(nameOrId, out var id))
            return id;
        var stacks = (await session.Api.ListStacksAsync(session.CancellationToken)).Value;
        var matches = stacks.Where(s => s.Name == nameOrId && s.Status is not ("failed" or "removing")).ToList();
        return matches.Count switch
        {
            1 => matches[0].StackId,
            0 => throw new CliException($"no stack named '{nameOrId}'."),
            _ => throw new CliException($"several stacks are named '{nameOrId}': use the id."),
        };
    }

    private static async Task<ApiResult<StackView>> WaitForOutcome(Session session, Guid stackId)
    {
        var deadline = DateTimeOffset.UtcNow + WaitTimeout;
        while (true)
        {
            var stack = await session.Api.GetStackAsync(stackId, session.CancellationToken);
            if (stack.Value.Status is not ("pending" or "creating"))
                return stack;
            if (DateTimeOffset.UtcNow > deadline)
                throw new CliException($"stack {stackId} was still {stack.Value.Status} after {WaitTimeout.TotalMinutes:0} minutes.");
            await Task.Delay(TimeSpan.FromMilliseconds(500), session.CancellationToken);
        }
    }
}
