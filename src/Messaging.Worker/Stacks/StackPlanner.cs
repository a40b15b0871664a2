using Messaging.Contracts;
using Messaging.Stacks.Compose;
using Messaging.Validation;
using Messaging.Worker.Policy;

namespace Messaging.Worker.Stacks;

/// <summary>
/// The worker's own judgement of a <see cref="CreateStack"/>: the file is parsed here again (other systems publish
/// stacks directly), then every member goes through the same policy as a plain service (allowlist, caps, defaults).
/// One refused member refuses the stack.
/// </summary>
public sealed class StackPlanner(CreateServicePolicy policy)
{
    public (StackPlan? Plan, StackRefusal? Refusal) Plan(CreateStack command, string owner)
    {
        if (!ServiceRules.ServiceNamePattern().IsMatch(command.StackName))
            return (null, new StackRefusal(FailureReasons.InvalidCommand, "StackName must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit."));
        var parsed = ComposeSubset.Parse(command.ComposeFile);
        if (!parsed.IsValid)
        {
            var first = parsed.Problems[0];
            return (null, new StackRefusal(FailureReasons.InvalidCommand,
                string.Join(" ", parsed.Problems.Select(p => p.ToString())), MemberOf(first.Path)));
        }

        var members = new List<PlannedMember>();
        foreach (var member in parsed.Definition!.Members)
        {
            var path = $"services.{member.Name}";
            var serviceName = $"{command.StackName}-{member.Name}";
            if (serviceName.Length > 63)
                return (null, new StackRefusal(FailureReasons.InvalidCommand,
                    $"{path}: the member's service name '{serviceName}' is longer than 63 characters; use a shorter stack or member name.", member.Name));
            var create = new CreateService
            {
                CommandId = command.CommandId,
                ServiceId = StackPlan.MemberId(command.StackId, member.Name),
                ServiceName = serviceName,
                Image = member.Image,
                MemoryLimit = member.MemoryLimit,
                CpuLimit = member.CpuLimit,
                InternalPort = member.InternalPort,
                Env = member.Environment.Count == 0 ? null : member.Environment,
                RequestedBy = owner,
                RequestedAt = command.RequestedAt,
            };
            var (approved, refusal) = policy.Evaluate(create);
            if (refusal is not null)
                return (null, new StackRefusal(refusal.Reason, $"{path}: {refusal.Message}", member.Name));
            // Which program runs is the image's unless its entry says otherwise (the API cannot know: the allowlist is ours).
            if ((member.Command ?? member.Entrypoint) is not null && !approved!.Entry.AllowCommand)
            {
                var key = member.Command is not null ? "command" : "entrypoint";
                return (null, new StackRefusal(FailureReasons.ImageNotAllowed,
                    $"{path}.{key}: not permitted for {member.Image} (its allowlist entry does not set AllowCommand).", member.Name));
            }
            members.Add(new PlannedMember(member, approved!));
        }
        return (new StackPlan(members), null);
    }

    /// <summary>The member a problem path names (<c>services.db.privileged</c> -> <c>db</c>), if any.</summary>
    private static string? MemberOf(string path)
    {
        var parts = path.Split('.');
        return parts.Length >= 2 && parts[0] == "services" ? parts[1] : null;
    }
}
