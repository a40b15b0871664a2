using Messaging.State;
using Messaging.State.Stacks;

namespace Messaging.Api.Stacks;

/// <summary>A stack as the API shows it: its own status and each member's, read from the member's service record.</summary>
public sealed record StackView(
    Guid StackId, string Name, string Owner, string Status, StackFailureView? Failure,
    IReadOnlyList<StackMemberView> Members, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static async Task<StackView> OfAsync(StackRecord stack, ServiceRecordStore records)
    {
        var members = new List<StackMemberView>();
        foreach (var member in stack.Members)
        {
            var record = await records.GetAsync(member.ServiceId);
            members.Add(new StackMemberView(member.Member, member.ServiceId, record?.Name, record?.Status ?? "unknown",
                member.IsPublic, record?.HostPort, record?.Health, record?.FailureCode));
        }
        return new StackView(stack.StackId, stack.Name, stack.Owner, stack.Status,
            stack.FailureCode is null ? null : new StackFailureView(stack.FailureCode, stack.FailureMessage ?? "", stack.FailedMember),
            members, stack.CreatedAt, stack.UpdatedAt);
    }
}

/// <summary>Why the stack failed, and which member (null: the stack as a whole).</summary>
public sealed record StackFailureView(string Code, string Message, string? Member);

/// <summary>One member: its compose name, its service (<c>/api/v1/services/{service_id}</c>) and how it runs.</summary>
public sealed record StackMemberView(
    string Member, Guid ServiceId, string? ServiceName, string Status, bool Public, int? HostPort, string? Health, string? FailureCode);

/// <summary>Body of the 202 answer to a stack command.</summary>
public sealed record StackAccepted(Guid StackId, string Name, string Status, Guid CommandId)
{
    /// <summary>Secrets a template generated: in this answer only (they reach the members' environment through the command).</summary>
    public IReadOnlyDictionary<string, string>? GeneratedSecrets { get; init; }
}
