using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>A build command that passed every rule: its context, and the arguments it sets (names declared, values accepted).</summary>
public sealed record ApprovedBuild(BuildImage Command, BuildContextOptions Context, IReadOnlyDictionary<string, string> Args)
{
    /// <summary>The values to mask wherever build output or messages go.</summary>
    public IReadOnlyList<string> Secrets { get; } =
        [.. Args.Where(a => Context.Args.First(r => r.Name == a.Key).Secret).Select(a => a.Value).Where(v => v.Length > 0)];
}

/// <summary>
/// The worker's judgement of a <see cref="BuildImage"/>: ids present, the shared syntax rules, a configured context,
/// only declared arguments with accepted values. Commands may come straight from the broker: nothing is assumed.
/// </summary>
public sealed class BuildRequestPolicy(IOptions<BuildOptions> options)
{
    public (ApprovedBuild? Approved, Refusal? Refusal) Evaluate(BuildImage command)
    {
        if (command.BuildId == Guid.Empty || command.CommandId == Guid.Empty)
            return Refuse(BuildFailureReasons.InvalidCommand, "buildId and commandId are required.");
        if (string.IsNullOrEmpty(command.RequestedBy) || !ServiceRules.RequesterPattern().IsMatch(command.RequestedBy))
            return Refuse(BuildFailureReasons.InvalidCommand, "requestedBy must be a plain requester name.");
        if (BuildRules.SyntaxProblems(command.Context, command.BuildArgs).FirstOrDefault() is { Field: not null } problem)
            // The value itself is never echoed: it may be a secret.
            return Refuse(BuildFailureReasons.InvalidCommand, $"{problem.Field} {problem.Message}");
        if (options.Value.Find(command.Context) is not { } context)
            return Refuse(BuildFailureReasons.ContextNotFound, $"No build context '{command.Context}' is configured.");

        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in command.BuildArgs ?? new Dictionary<string, string>())
        {
            if (context.Args.FirstOrDefault(r => r.Name == name) is not { } rule)
                return Refuse(BuildFailureReasons.BuildArgNotAllowed, $"The context '{context.Name}' takes no build argument {name}.");
            if (!rule.Accepts(value))
                return Refuse(BuildFailureReasons.BuildArgNotAllowed, $"The value of {name} is not one the context '{context.Name}' accepts.");
            args[name] = value;
        }
        return (new ApprovedBuild(command, context, args), null);
    }

    private static (ApprovedBuild?, Refusal?) Refuse(string reason, string message) => (null, new Refusal(reason, message));
}
