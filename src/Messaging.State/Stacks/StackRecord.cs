using Messaging.Contracts;
using StackExchange.Redis;

namespace Messaging.State.Stacks;

/// <summary>One member of a stack record: its compose name, its service, and whether it is the public entry.</summary>
public sealed record StackMemberRef(string Member, Guid ServiceId, bool IsPublic);

/// <summary>
/// A stack as stored in Redis (<see cref="RedisKeys.Stack"/>). The members themselves are ordinary service records
/// (with <see cref="ServiceRecord.StackId"/>); this record only ties them together and says how the creation went.
/// </summary>
public sealed record StackRecord
{
    public Guid StackId { get; init; }
    public Guid CommandId { get; init; }
    public string Name { get; init; } = "";
    public string Owner { get; init; } = "";

    /// <summary>One of <see cref="StackStatus"/>.</summary>
    public string Status { get; init; } = "";
    public IReadOnlyList<StackMemberRef> Members { get; init; } = [];

    /// <summary>The stack's private network on the engine, once made.</summary>
    public string? Network { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public string? FailedMember { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    internal HashEntry[] ToHashEntries()
    {
        var entries = new List<HashEntry>
        {
            new("stack_id", StackId.ToString("D")),
            new("command_id", CommandId.ToString("D")),
            new("name", Name),
            new("owner", Owner),
            new("status", Status),
            // "member=id[*]" separated by spaces: member names are [a-z0-9-], '*' marks the public entry.
            new("members", string.Join(' ', Members.Select(m => $"{m.Member}={m.ServiceId:D}{(m.IsPublic ? "*" : "")}"))),
            new("created_at", CreatedAt.ToUnixTimeMilliseconds()),
            new("updated_at", UpdatedAt.ToUnixTimeMilliseconds()),
        };
        if (Network is not null) entries.Add(new("network", Network));
        if (FailureCode is not null) entries.Add(new("failure_code", FailureCode));
        if (FailureMessage is not null) entries.Add(new("failure_message", FailureMessage));
        if (FailedMember is not null) entries.Add(new("failed_member", FailedMember));
        return [.. entries];
    }

    internal static StackRecord? FromHashEntries(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var fields = StoredFields.Of(entries);
        return new StackRecord
        {
            StackId = fields.Guid("stack_id") ?? Guid.Empty,
            CommandId = fields.Guid("command_id") ?? Guid.Empty,
            Name = fields.Text("name") ?? "",
            Owner = fields.Text("owner") ?? "",
            Status = fields.Text("status") ?? "",
            Members = ParseMembers(fields.Text("members")),
            Network = fields.Text("network"),
            FailureCode = fields.Text("failure_code"),
            FailureMessage = fields.Text("failure_message"),
            FailedMember = fields.Text("failed_member"),
            CreatedAt = fields.Time("created_at") ?? DateTimeOffset.UnixEpoch,
            UpdatedAt = fields.Time("updated_at") ?? DateTimeOffset.UnixEpoch,
        };
    }

    private static List<StackMemberRef> ParseMembers(string? text)
    {
        var members = new List<StackMemberRef>();
        foreach (var item in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, id) = (item[..Math.Max(0, item.IndexOf('='))], item[(item.IndexOf('=') + 1)..]);
            var isPublic = id.EndsWith('*');
            if (Guid.TryParse(isPublic ? id[..^1] : id, out var serviceId) && name.Length > 0)
                members.Add(new StackMemberRef(name, serviceId, isPublic));
        }
        return members;
    }
}
