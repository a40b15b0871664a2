using System.CommandLine;
using Messaging.Cli.Api;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>build CONTEXT [--arg K=V]... [--wait | --follow]</c>: build an image from one of the operator's contexts (docs/BUILDS.md).
/// <c>--wait</c> prints the status as it changes (its queue position included) and the log tail at the end;
/// <c>--follow</c> prints the build's log lines live as the worker relays them. Both exit 1 with the reason when the
/// build failed.
/// </summary>
internal static class BuildCommand
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromMinutes(30);

    public static Command Build(CliContext cli)
    {
        var context = new Argument<string>("context") { Description = "The name of a build context the operator configured" };
        var args = new Option<string[]>("--arg") { Description = "Build argument K=V the context declares (repeat for more)" };
        args.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.IndexOf('=') < 1))
                result.AddError($"--arg '{token.Value}' must be NAME=VALUE.");
        });
        var wait = new Option<bool>("--wait") { Description = "Follow the build's status until it ends; print its image or its failure and log tail" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Print the build's log lines live until it ends; then its image or its failure" };
        var command = new Command("build", "Build an image from an operator's build context") { context, args, wait, follow };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var pairs = parse.GetValue(args) is { Length: > 0 } given
                ? given.ToDictionary(a => a[..a.IndexOf('=')], a => a[(a.IndexOf('=') + 1)..], StringComparer.Ordinal)
                : null;
            var accepted = await session.Api.CreateBuildAsync(new CreateBuildRequest(parse.GetValue(context)!, pairs), session.CancellationToken);
            if (parse.GetValue(follow))
            {
                // Lines to stdout as they come (to stderr with --json, which keeps stdout for the final record).
                var lines = session.Json ? session.Error : session.Out;
                await session.Api.FollowBuildLogAsync(accepted.Value.BuildId, line => lines.WriteLineAsync(line), session.CancellationToken);
                var ended = await session.Api.GetBuildAsync(accepted.Value.BuildId, session.CancellationToken);
                session.Print(ended, WriteOutcome);
                return ended.Value.Status == "succeeded" ? ExitCodes.Ok : ExitCodes.Failure;
            }
            if (!parse.GetValue(wait))
                return session.Print(accepted, (output, a) => output.WriteLine($"Build {a.BuildId} of {a.Context} accepted: {a.Status}"));
            var done = await Follow(session, accepted.Value.BuildId);
            session.Print(done, Write);
            return done.Value.Status == "succeeded" ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return command;
    }

    private static async Task<ApiResult<BuildView>> Follow(Session session, Guid buildId)
    {
        var deadline = DateTimeOffset.UtcNow + WaitTimeout;
        string? shown = null;
        while (true)
        {
            var build = await session.Api.GetBuildAsync(buildId, session.CancellationToken);
            var state = build.Value.Status == "queued" ? $"queued (position {build.Value.QueuePosition ?? 0})" : build.Value.Status;
            if (state != shown && !session.Json)
                await session.Error.WriteLineAsync($"{buildId}: {state}");
            shown = state;
            if (build.Value.Status is "succeeded" or "failed")
                return build;
            if (DateTimeOffset.UtcNow > deadline)
                throw new CliException($"build {buildId} was still {build.Value.Status} after {WaitTimeout.TotalMinutes:0} minutes.");
            await Task.Delay(TimeSpan.FromMilliseconds(500), session.CancellationToken);
        }
    }

    private static void Write(TextWriter output, BuildView build)
    {
        foreach (var line in build.LogTail)
            output.WriteLine(line);
        WriteOutcome(output, build);
    }

    private static void WriteOutcome(TextWriter output, BuildView build) =>
        output.WriteLine(build.Failure is { } failure
            ? $"error: build {build.BuildId} of {build.Context} failed: {failure.Code}: {failure.Message}"
            : $"Built {build.Image}");
}
