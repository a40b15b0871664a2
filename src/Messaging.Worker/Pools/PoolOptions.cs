using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>
/// Section <c>Pools</c> (issue 20): warm pools of pre-started containers that creations claim instead of waiting for
/// the engine's create + start. Off by default. Each pool is an allowlist entry's image with a resource profile
/// (memory, CPUs); its members are created with the entry's full hardening by the worker's one spec builder.
/// </summary>
public sealed class PoolOptions
{
    public const string Section = "Pools";

    public bool Enabled { get; set; }

    /// <summary>The pool budget: members not yet claimed, over all pools (they hold ports and host resources, no user's quota).</summary>
    public int MaxMembers { get; set; } = 16;

    /// <summary>Members created at a time while no cold creation is in flight.</summary>
    public int RefillConcurrency { get; set; } = 2;

    /// <summary>
    /// Members created at a time while cold creations are in flight: the refill's share of the engine under load
    /// (0 pauses refills until the cold creations are done).
    /// </summary>
    public int RefillConcurrencyUnderLoad { get; set; } = 1;

    /// <summary>How often the keeper looks at the pools (refill, idle expiry, repairs after a crash or a Redis loss).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether a stopping worker removes the idle members (one worker per instance: leave on).</summary>
    public bool RemoveIdleOnShutdown { get; set; } = true;

    public List<PoolEntry> Entries { get; set; } = [];

    /// <summary>Null when the settings read; else what is wrong, for the start-up failure.</summary>
    public string? Problem()
    {
        if (MaxMembers < 0 || RefillConcurrency < 1 || RefillConcurrencyUnderLoad < 0)
            return $"{Section}: MaxMembers must be >= 0, RefillConcurrency >= 1, RefillConcurrencyUnderLoad >= 0.";
        if (SweepInterval <= TimeSpan.Zero)
            return $"{Section}:SweepInterval must be positive.";
        foreach (var (entry, index) in Entries.Select((e, i) => (e, i)))
        {
            if (string.IsNullOrWhiteSpace(entry.Image))
                return $"{Section}:Entries:{index}:Image is required.";
            if (entry.Size < 0 || entry.MaxIdle <= TimeSpan.Zero)
                return $"{Section}:Entries:{index}: Size must be >= 0 and MaxIdle positive.";
        }
        return null;
    }
}

/// <summary>One pool: an allowlist entry's image and the limits its members start with.</summary>
public sealed class PoolEntry
{
    /// <summary>The image exactly as in its allowlist entry (<c>nginx:alpine</c>).</summary>
    public string Image { get; set; } = "";

    /// <summary>Members' memory (Docker units); the entry's default memory when unset. Requests up to it qualify.</summary>
    public string? Memory { get; set; }

    /// <summary>Members' CPUs; the entry's default when unset. Requests up to it qualify.</summary>
    public double? Cpus { get; set; }

    /// <summary>Idle members kept ready.</summary>
    public int Size { get; set; } = 2;

    /// <summary>An idle member older than this is replaced by a fresh one.</summary>
    public TimeSpan MaxIdle { get; set; } = TimeSpan.FromMinutes(30);
}

public sealed class PoolOptionsValidator : IValidateOptions<PoolOptions>
{
    public ValidateOptionsResult Validate(string? name, PoolOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
