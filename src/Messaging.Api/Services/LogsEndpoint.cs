using MassTransit;
using Messaging.Contracts;
using Messaging.State;

namespace Messaging.Api.Services;

/// <summary>Logs come from the worker over request/response: the API never touches the engine.</summary>
public static class LogsEndpoint
{
    public const int DefaultTail = 100;
    public const int MaxTail = 1000;

    public static async Task<Results<Ok<ServiceLogsView>, ProblemHttpResult>> Handle(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, IRequestClient<GetServiceLogs> client, int? tail)
    {
        if (QueryChecks.Range("tail", tail, MaxTail) is { } invalid)
            return invalid;
        if (await records.FindVisibleAsync(serviceId, user) is null)
            return Problems.ServiceNotFound(serviceId);
        try
        {
            var response = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(
                new GetServiceLogs { ServiceId = serviceId, Tail = tail ?? DefaultTail });
            if (response.Is(out Response<ServiceLogs>? logs))
                return TypedResults.Ok(new ServiceLogsView(serviceId, logs!.Message.Lines));
            response.Is(out Response<ServiceLogsUnavailable>? unavailable);
            return unavailable!.Message.Reason == RejectionReasons.NotFound
                ? Problems.NoLogs(unavailable.Message.Message)
                : Problems.EngineUnavailable(unavailable.Message.Message);
        }
        catch (RequestTimeoutException)
        {
            return Problems.WorkerDidNotAnswer();
        }
    }
}

public sealed record ServiceLogsView(Guid ServiceId, IReadOnlyList<string> Lines);
