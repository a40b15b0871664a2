namespace Messaging.Api.Services;

/// <summary>Body of <c>POST /api/v1/services</c>; exactly these fields, in snake_case.</summary>
public sealed record CreateServiceRequest
{
    public string? ServiceName { get; init; }
    public string? Image { get; init; }
    public string? MemoryLimit { get; init; }
    public double? CpuLimit { get; init; }
    public int? InternalPort { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
}
