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
        return await WorkerRequests.AskAsync<GetServiceLogs, ServiceLogs, ServiceLogsUnavailable, ServiceLogsView>(
            client, new GetServiceLogs { ServiceId = serviceId, Tail = tail ?? DefaultTail }, "log",
            logs => new ServiceLogsView(serviceId, logs.Lines),
            // Logs outlive a stopped container, so wrong_state never comes back here.
            refusal => WorkerRequests.Refusal(refusal.Reason, refusal.Message, Problems.NoLogs));
    }
}

public sealed record ServiceLogsView(Guid ServiceId, IReadOnlyList<string> Lines);
