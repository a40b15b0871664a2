using System.Security.Cryptography;
using System.Text;
using Messaging.Stacks.Compose;
using Messaging.Worker.Policy;

namespace Messaging.Worker.Stacks;

/// <summary>A member the policy approved: its compose definition, its service id and what it runs with.</summary>
public sealed record PlannedMember(StackMember Definition, ApprovedService Approved)
{
    public string Name => Definition.Name;
    public Guid ServiceId => Approved.Command.ServiceId;
    public string ServiceName => Approved.Command.ServiceName;
}

/// <summary>Every member of a stack, approved, in the file's order.</summary>
public sealed record StackPlan(IReadOnlyList<PlannedMember> Members)
{
    public PlannedMember? Public => Members.FirstOrDefault(m => m.Definition.IsPublic);

    /// <summary>
    /// A member's service id, derived from the stack id and the member's name: a redelivered command finds the same
    /// records, reservations and containers, and a stack id can never name another stack's members.
    /// </summary>
    public static Guid MemberId(Guid stackId, string member)
    {
        var hash = SHA256.HashData([.. stackId.ToByteArray(), .. Encoding.UTF8.GetBytes(member)]);
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x80); // version 8 (RFC 9562: name-based, own hash)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // variant 10
        return new Guid(bytes);
    }
}

/// <summary>Why a stack was refused or failed: a reason code, a message, and the member concerned (null: the stack as a whole).</summary>
public sealed record StackRefusal(string Reason, string Message, string? Member = null);
