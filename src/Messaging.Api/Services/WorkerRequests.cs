using MassTransit;
using Messaging.Contracts;

namespace Messaging.Api.Services;

/// <summary>
/// Questions the API asks a worker about a service over the bus (its logs, its stats), since the API has no engine of
/// its own. What every such question shares lives here: its request client and timeout, the 504 when no worker
/// answers, and the problem a worker's refusal becomes.
/// </summary>
public static class WorkerRequests
{
    /// <summary>
    /// The request client of <typeparamref name="TRequest"/>, timing out after the <c>Publishing</c> setting
    /// <paramref name="setting"/> (read here: the bus is configured before options can be resolved).
    /// </summary>
    public static void AddWorkerRequestClient<TRequest>(this IBusRegistrationConfigurator bus, IConfiguration configuration,
        string setting, Func<PublishOptions, TimeSpan> defaultOf) where TRequest : class
    {
        var timeout = configuration.GetValue<TimeSpan?>($"{PublishOptions.Section}:{setting}") ?? defaultOf(new PublishOptions());
        bus.AddRequestClient<TRequest>(RequestTimeout.After(ms: (int)timeout.TotalMilliseconds));
    }

    /// <summary>
    /// Asks a worker and shapes its answer: <typeparamref name="TAnswer"/> through <paramref name="view"/>, a
    /// <typeparamref name="TRefusal"/> through <paramref name="refused"/>, no answer in time as 504 naming
    /// <paramref name="what"/>.
    /// </summary>
    public static async Task<Results<Ok<TView>, ProblemHttpResult>> AskAsync<TRequest, TAnswer, TRefusal, TView>(
        IRequestClient<TRequest> client, TRequest request, string what, Func<TAnswer, TView> view, Func<TRefusal, ProblemHttpResult> refused)
        where TRequest : class where TAnswer : class where TRefusal : class
    {
        try
        {
            var response = await client.GetResponse<TAnswer, TRefusal>(request);
            if (response.Is(out Response<TAnswer>? answer))
                return TypedResults.Ok(view(answer!.Message));
            response.Is(out Response<TRefusal>? refusal);
            return refused(refusal!.Message);
        }
        catch (RequestTimeoutException)
        {
            return Problems.WorkerDidNotAnswer(what);
        }
    }

    /// <summary>
    /// The problem a worker's refusal (a <see cref="RejectionReasons"/> code) becomes: <c>not_found</c> is
    /// <paramref name="notFound"/>, <c>wrong_state</c> 409, an engine failure 503.
    /// </summary>
    public static ProblemHttpResult Refusal(string reason, string message, Func<string, ProblemHttpResult> notFound) => reason switch
    {
        RejectionReasons.NotFound => notFound(message),
        RejectionReasons.WrongState => Problems.NotRunning(message),
        _ => Problems.EngineUnavailable(message),
    };
}
