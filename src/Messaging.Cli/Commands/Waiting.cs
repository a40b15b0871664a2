using System.CommandLine;
using System.Diagnostics;
using Messaging.Cli.Api;
using Messaging.Cli.Output;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>
/// What <c>--wait</c> waits for. The API answers 202 before the worker has done anything, and a lifecycle
/// command may leave the status as it was (restart: running to running), so the status alone cannot tell
/// "done" from "not started yet". The record's <c>updated_at</c> moves with every change the worker makes:
/// with <see cref="ChangedAfter"/> set, only a record written after that instant counts as the outcome.
/// </summary>
internal sealed record WaitGoal(string Target, IReadOnlyList<string> InProgress, DateTimeOffset? ChangedAfter);

/// <summary><c>--wait</c> and <c>--timeout</c>, added to each command that can wait.</summary>
internal sealed class WaitOptions
{
    public Option<bool> Wait { get; } = new("--wait") { Description = "Wait until the worker has carried the command out" };

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds --wait waits at most",
        DefaultValueFactory = _ => 120,
        Validators = { result => { if (result.GetValueOrDefault<int>() <= 0) result.AddError("--timeout must be a positive number of seconds."); } },
    };

    public void AddTo(Command command)
    {
        command.Add(Wait);
        command.Add(Timeout);
    }

    public ServiceWaiter? For(ParseResult parse, Session session) =>
        parse.GetValue(Wait) ? new ServiceWaiter(session, TimeSpan.FromSeconds(parse.GetValue(Timeout))) : null;
}

/// <summary>Polls the service until it reaches a <see cref="WaitGoal"/>, fails, or the time is up.</summary>
internal sealed class ServiceWaiter(Session session, TimeSpan timeout)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The final record (null when a removal ended with the record gone); throws when the goal is not reached.</summary>
    public async Task<ApiResult<ServiceView>?> WaitAsync(Guid serviceId, string name, WaitGoal goal)
    {
        var clock = Stopwatch.StartNew();
        string? lastStatus = null;
        while (true)
        {
            var current = await session.Api.FindAsync(serviceId, session.CancellationToken);
            if (current is null)
            {
                if (goal.Target == ServiceStatus.Removed)
                    return null;
                throw new CliException($"{name} no longer exists.");
            }

            var service = current.Value;
            var isOutcome = goal.ChangedAfter is null || service.UpdatedAt > goal.ChangedAfter;
            if (isOutcome && service.Status == goal.Target)
                return current;
            if (isOutcome && !goal.InProgress.Contains(service.Status))
                throw new CliException(service.Status == ServiceStatus.Failed && service.Failure is not null
                    ? $"{name} failed: {ServicePrinter.Reason(service.Failure)}"
                    : $"{name} is {service.Status}, not {goal.Target}.");

            if (service.Status != lastStatus && !session.Json)
                await session.Error.WriteLineAsync($"{name}: {service.Status}...");
            lastStatus = service.Status;

            if (clock.Elapsed >= timeout)
            {
                // A lifecycle command the worker refuses (say, the engine fails the stop) changes nothing in the
                // record; the refusal is only published as an event, which this client cannot see.
                throw new CliException($"timed out after {timeout.TotalSeconds:0} s waiting for {name} to be {goal.Target} (it is {service.Status})."
                    + (goal.ChangedAfter is not null && !isOutcome ? " The worker has not acted on the command, or refused it." : ""));
            }
            await Task.Delay(PollInterval, session.CancellationToken);
        }
    }
}
