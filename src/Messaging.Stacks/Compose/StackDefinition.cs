namespace Messaging.Stacks.Compose;

/// <summary>A stack file that passed the subset's rules (docs/STACKS.md): its members, in the order written.</summary>
public sealed record StackDefinition(IReadOnlyList<StackMember> Members)
{
    /// <summary>The member published and routed like a plain service (the one with <c>ports</c>), if any.</summary>
    public StackMember? PublicMember => Members.FirstOrDefault(m => m.IsPublic);
}

/// <summary>
/// One service of a stack. Limits are null when the file names none (the worker applies the image's defaults,
/// as for a plain service); image, limits and command are checked against the allowlist by the worker.
/// </summary>
public sealed record StackMember
{
    public required string Name { get; init; }
    public required string Image { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public string? MemoryLimit { get; init; }
    public double? CpuLimit { get; init; }

    /// <summary>The port the member listens on (<c>expose</c> or <c>ports</c>); the allowlist entry's when absent.</summary>
    public int? InternalPort { get; init; }

    /// <summary>Published on a host port from the range (the stack's public entry); other members are reachable only inside the stack.</summary>
    public bool IsPublic { get; init; }

    public IReadOnlyList<StackDependency> DependsOn { get; init; } = [];
    public StackHealthCheck? HealthCheck { get; init; }
}

/// <summary>Start <see cref="Service"/> first; with <see cref="WaitForHealthy"/>, wait until its health check passes.</summary>
public sealed record StackDependency(string Service, bool WaitForHealthy);

/// <summary>
/// A member's health check, as Compose writes it: <see cref="Test"/> is the exec form (<c>CMD</c>, then the
/// program and its arguments) or a shell line (<c>CMD-SHELL</c>). Times are those of the file or null for the
/// engine's defaults.
/// </summary>
public sealed record StackHealthCheck(
    IReadOnlyList<string> Test, TimeSpan? Interval, TimeSpan? Timeout, int? Retries, TimeSpan? StartPeriod);
