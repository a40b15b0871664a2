using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Cli.Api;

// The API's JSON as the CLI reads it. Unknown fields are ignored on purpose: a newer API must not break an
// older CLI. Only what the CLI shows or decides on is modelled; --json prints the API's own text instead.

internal sealed record ServiceView(
    Guid ServiceId,
    string ServiceName,
    string Image,
    string Owner,
    string Status,
    string MemoryLimit,
    double CpuLimit,
    int? InternalPort,
    string? Host,
    int? HostPort,
    string? ContainerId,
    FailureView? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    // Absent from an API older than supervision: read as no health check and no restarts.
    public string Health { get; init; } = "none";
    public int RestartCount { get; init; }
    public ExitView? LastExit { get; init; }
    public DateTimeOffset? NextRestartAt { get; init; }
}

internal sealed record FailureView(string Code, string Message);

internal sealed record ExitView(long Code, bool Oom, DateTimeOffset At);

internal sealed record ServicePage(IReadOnlyList<JsonElement> Items, string? NextCursor);

internal sealed record ServiceAccepted(Guid ServiceId, string ServiceName, string Status)
{
    /// <summary>Secrets a template generated: the API shows them in this answer only.</summary>
    public IReadOnlyDictionary<string, string>? GeneratedSecrets { get; init; }
}

internal sealed record CommandAccepted(Guid ServiceId, Guid CommandId, string Command, string Status);

internal sealed record ServiceLogs(Guid ServiceId, IReadOnlyList<string> Lines);

internal sealed record ServiceStats(
    Guid ServiceId,
    DateTimeOffset ReadAt,
    double CpuPercent,
    int OnlineCpus,
    long MemoryUsedBytes,
    long MemoryLimitBytes,
    long NetworkRxBytes,
    long NetworkTxBytes,
    long BlockReadBytes,
    long BlockWriteBytes,
    long Pids);

internal sealed record CreateServiceRequest(
    string ServiceName,
    string? Image,
    string? MemoryLimit,
    double? CpuLimit,
    int? InternalPort,
    IReadOnlyDictionary<string, string>? Env)
{
    public string? Template { get; init; }
    public int? Version { get; init; }
    public IReadOnlyDictionary<string, string>? Params { get; init; }
}

internal sealed record TokenView(
    string Id,
    string Name,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt,
    int? MaxServices,
    string? MaxMemory,
    double? MaxCpus);

/// <summary>The answer to a token creation: the only time the API shows the secret.</summary>
internal sealed record CreatedToken(string Token, TokenView Details);

internal sealed record TokenList(IReadOnlyList<TokenView> Items);

internal sealed record CreateTokenRequest(
    string Name,
    IReadOnlyList<string> Scopes,
    DateTimeOffset? ExpiresAt,
    int? MaxServices,
    string? MaxMemory,
    double? MaxCpus);

/// <summary>RFC 9457 problem details, with the validation extension <c>errors</c>.</summary>
internal sealed record ProblemDetails(string? Title, string? Detail, int? Status, IReadOnlyDictionary<string, string[]>? Errors);

/// <summary>A decoded answer together with the JSON the API sent, which <c>--json</c> prints unchanged.</summary>
internal sealed record ApiResult<T>(T Value, JsonElement Json);

internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null, // env names are the user's, verbatim
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, // the API rejects nothing optional we leave out
    };
}

internal sealed record CreateBuildRequest(string Context, IReadOnlyDictionary<string, string>? Args);

internal sealed record BuildAccepted(Guid BuildId, string Context, string Status, Guid CommandId);

internal sealed record BuildView(
    Guid BuildId, string Context, string Owner, string Status, int? QueuePosition, string? Image, FailureView? Failure,
    IReadOnlyList<string> LogTail);
