using Messaging.Contracts;
using StackExchange.Redis;

namespace Messaging.State.Builds;

/// <summary>
/// A build as stored in Redis (<see cref="RedisKeys.Build"/>): who asked for which context, where it stands, and how it
/// ended. The log tail is stored with secrets already masked by the worker.
/// </summary>
public sealed record BuildRecord
{
    public Guid BuildId { get; init; }
    public Guid CommandId { get; init; }
    public string Context { get; init; } = "";
    public string Owner { get; init; } = "";

    /// <summary>One of <see cref="BuildStatus"/>.</summary>
    public string Status { get; init; } = "";

    /// <summary>While <see cref="BuildStatus.Queued"/>: how many builds are ahead of it on its worker (0: next).</summary>
    public int? QueuePosition { get; init; }

    /// <summary>The names (never the values) of the build arguments the request set.</summary>
    public IReadOnlyList<string> ArgNames { get; init; } = [];
    public string? Image { get; init; }
    public string? ImageId { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public IReadOnlyList<string> LogTail { get; init; } = [];

    /// <summary>Lines the build's log had when it ended: <see cref="LogTail"/> holds lines <c>LogLines - LogTail.Count + 1</c> to <c>LogLines</c>.</summary>
    public long LogLines { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>
    /// On a pending record whose command the broker has not confirmed: cleared when it confirms or a worker takes the
    /// build; still set after <c>Builds:UnconfirmedPendingExpiry</c>, the record is failed <c>not_delivered</c>.
    /// </summary>
    public bool Unconfirmed { get; init; }

    /// <summary>Whether the build has ended (its event was published).</summary>
    public bool IsFinished => Status is BuildStatus.Succeeded or BuildStatus.Failed;

    internal HashEntry[] ToHashEntries()
    {
        var entries = new List<HashEntry>
        {
            new("build_id", BuildId.ToString("D")),
            new("command_id", CommandId.ToString("D")),
            new("context", Context),
            new("owner", Owner),
            new("status", Status),
            new("arg_names", string.Join(' ', ArgNames)),
            // Log lines never hold a newline (the worker splits on them), so one field keeps them in order.
            new("log_tail", string.Join('\n', LogTail)),
            new("log_lines", LogLines),
            new("created_at", CreatedAt.ToUnixTimeMilliseconds()),
            new("updated_at", UpdatedAt.ToUnixTimeMilliseconds()),
        };
        if (Unconfirmed) entries.Add(new("unconfirmed", 1));
        if (QueuePosition is { } position) entries.Add(new("queue_position", position));
        if (Image is not null) entries.Add(new("image", Image));
        if (ImageId is not null) entries.Add(new("image_id", ImageId));
        if (FailureCode is not null) entries.Add(new("failure_code", FailureCode));
        if (FailureMessage is not null) entries.Add(new("failure_message", FailureMessage));
        if (StartedAt is { } started) entries.Add(new("started_at", started.ToUnixTimeMilliseconds()));
        if (FinishedAt is { } finished) entries.Add(new("finished_at", finished.ToUnixTimeMilliseconds()));
        return [.. entries];
    }

    internal static BuildRecord? FromHashEntries(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var fields = StoredFields.Of(entries);
        return new BuildRecord
        {
            BuildId = fields.Guid("build_id") ?? Guid.Empty,
            CommandId = fields.Guid("command_id") ?? Guid.Empty,
            Context = fields.Text("context") ?? "",
            Owner = fields.Text("owner") ?? "",
            Status = fields.Text("status") ?? "",
            QueuePosition = fields.Int("queue_position"),
            ArgNames = (fields.Text("arg_names") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Image = fields.Text("image"),
            ImageId = fields.Text("image_id"),
            FailureCode = fields.Text("failure_code"),
            FailureMessage = fields.Text("failure_message"),
            LogTail = fields.Text("log_tail")?.Split('\n') ?? [],
            LogLines = fields.Long("log_lines") ?? 0,
            Unconfirmed = fields.Text("unconfirmed") == "1",
            CreatedAt = fields.Time("created_at") ?? DateTimeOffset.UnixEpoch,
            UpdatedAt = fields.Time("updated_at") ?? DateTimeOffset.UnixEpoch,
            StartedAt = fields.Time("started_at"),
            FinishedAt = fields.Time("finished_at"),
        };
    }
}
