using System.Security.Claims;
using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Services;

/// <summary>Logs come from the worker over request/response: the API never touches the engine.</summary>
public static class LogsEndpoint
{
    public const int DefaultTail = 100;
    public const int MaxTail = 1000;

    public static async Task<Results<Ok<ServiceLogsView>, ProblemHttpResult>> Handle(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, IRequestClient<GetServiceLogs> client, int? tail)
    {
        if (tail is < 1 or > MaxTail)
            return TypedResults.Problem(statusCode: 400, title: "Invalid tail", detail: $"tail must be 1-{MaxTail}.");
        if (await records.FindVisibleAsync(serviceId, user) is null)
            return ReadEndpoints.NotFound(serviceId);
        try
        {
            var response = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(
                new GetServiceLogs { ServiceId = serviceId, Tail = tail ?? DefaultTail });
            if (response.Is(out Response<ServiceLogs>? logs))
                return TypedResults.Ok(new ServiceLogsView(serviceId, logs!.Message.Lines));
            response.Is(out Response<ServiceLogsUnavailable>? unavailable);
            return unavailable!.Message.Reason == RejectionReasons.NotFound
                ? TypedResults.Problem(statusCode: 404, title: "No logs", detail: unavailable.Message.Message)
                : TypedResults.Problem(statusCode: 503, title: "Engine unavailable", detail: unavailable.Message.Message);
        }
        catch (RequestTimeoutException)
        {
            return TypedResults.Problem(statusCode: 504, title: "Worker did not answer", detail: "No worker answered the log request in time.");
        }
    }
}

public sealed record ServiceLogsView(Guid ServiceId, IReadOnlyList<string> Lines);
