using System.Globalization;
using StackExchange.Redis;

namespace Messaging.State.Tokens;

/// <summary>
/// An API token as stored: never the token itself, only its SHA-256. The id is the owner of every
/// service the token creates; the quotas are enforced by the worker.
/// </summary>
public sealed record TokenRecord
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public IReadOnlyList<string> Scopes { get; init; } = [];
    public string Sha256 { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public int? MaxServices { get; init; }
    public long? MaxMemoryBytes { get; init; }
    public double? MaxCpus { get; init; }

    public bool IsUsableAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    public Quota Quota => new(MaxServices, MaxMemoryBytes, MaxCpus);

    internal HashEntry[] ToHashEntries()
    {
        var entries = new List<HashEntry>
        {
            new("id", Id), new("name", Name), new("scopes", string.Join(' ', Scopes)), new("sha256", Sha256),
            new("created_at", CreatedAt.ToUnixTimeMilliseconds()),
        };
        if (ExpiresAt is { } expires) entries.Add(new("expires_at", expires.ToUnixTimeMilliseconds()));
        if (RevokedAt is { } revoked) entries.Add(new("revoked_at", revoked.ToUnixTimeMilliseconds()));
        if (LastUsedAt is { } used) entries.Add(new("last_used_at", used.ToUnixTimeMilliseconds()));
        if (MaxServices is { } services) entries.Add(new("max_services", services));
        if (MaxMemoryBytes is { } memory) entries.Add(new("max_memory_bytes", memory));
        if (MaxCpus is { } cpus) entries.Add(new("max_cpus", cpus.ToString("R", CultureInfo.InvariantCulture)));
        return [.. entries];
    }

    internal static TokenRecord? FromHashEntries(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var fields = StoredFields.Of(entries);
        return new TokenRecord
        {
            Id = fields.Text("id") ?? "",
            Name = fields.Text("name") ?? "",
            Scopes = (fields.Text("scopes") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Sha256 = fields.Text("sha256") ?? "",
            CreatedAt = fields.Time("created_at") ?? DateTimeOffset.UnixEpoch,
            ExpiresAt = fields.Time("expires_at"),
            RevokedAt = fields.Time("revoked_at"),
            LastUsedAt = fields.Time("last_used_at"),
            MaxServices = fields.Long("max_services") is { } s ? (int)s : null,
            MaxMemoryBytes = fields.Long("max_memory_bytes"),
            MaxCpus = fields.Double("max_cpus"),
        };
    }
}

/// <summary>What an owner may hold at once; null means unlimited.</summary>
public sealed record Quota(int? MaxServices, long? MaxMemoryBytes, double? MaxCpus)
{
    public static Quota Unlimited { get; } = new(null, null, null);

    /// <summary>Which limit one more service of that size would break, or null when it fits.</summary>
    public string? Exceeded(Usage usage, long memoryBytes, double cpus) =>
        MaxServices is { } services && usage.Services + 1 > services ? "services"
        : MaxMemoryBytes is { } memory && usage.MemoryBytes + memoryBytes > memory ? "memory"
        : MaxCpus is { } maxCpus && usage.MilliCpus + (long)Math.Ceiling(cpus * 1000) > (long)Math.Floor(maxCpus * 1000) ? "cpus"
        : null;
}

/// <summary>What an owner holds: live services and the memory and CPU they were given.</summary>
public sealed record Usage(int Services, long MemoryBytes, long MilliCpus);
