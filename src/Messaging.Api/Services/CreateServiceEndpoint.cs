using System.Security.Claims;
using FluentValidation;
using MassTransit;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Tokens;
using Messaging.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Services;

public static class CreateServiceEndpoint
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static async Task<Results<Accepted<ServiceAccepted>, ValidationProblem, ProblemHttpResult>> Handle(
        HttpRequest request,
        ClaimsPrincipal user,
        IValidator<CreateServiceRequest> validator,
        ServiceRecordStore records,
        TokenStore tokens,
        IdempotencyKeys idempotency,
        CommandPublisher publisher,
        IOptions<PublishOptions> publishing,
        TimeProvider clock)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateServiceRequest>(request);
        if (problem is not null)
            return problem;

        var validation = await validator.ValidateAsync(body!);
        if (!validation.IsValid)
        {
            return ValidationProblems.From(validation);
        }

        var owner = user.Id();
        string? key = request.Headers[IdempotencyHeader];
        if (key is not null && !IdempotencyKeys.KeyPattern().IsMatch(key))
            return TypedResults.Problem(statusCode: 400, title: "Invalid Idempotency-Key", detail: "Use 1-128 characters of A-Z, a-z, 0-9 and _.:-");

        var claim = new IdempotencyKeys.Entry("pending", Guid.NewGuid(), body!.ServiceName!, IdempotencyKeys.Hash(body));
        while (key is not null && !await idempotency.TryClaimAsync(owner, key, claim))
        {
            // Someone sent this key before: answer as they were answered, once they know the answer.
            var (accepted, released) = await idempotency.WaitForAsync(owner, key, publishing.Value.ConfirmTimeout + TimeSpan.FromSeconds(2));
            if (released)
                continue; // their attempt failed and gave the key back: this request makes its own attempt
            if (accepted is null)
                return TypedResults.Problem(statusCode: 409, title: "Request in progress", detail: "A request with this Idempotency-Key is still being handled.");
            if (accepted.BodyHash != claim.BodyHash)
                return TypedResults.Problem(statusCode: 422, title: "Idempotency-Key reused", detail: "This Idempotency-Key was used with a different body.");
            return Accepted(accepted.ServiceId, accepted.ServiceName);
        }

        var outcome = await CreateAsync(body, claim.ServiceId, user, records, tokens, publisher, clock);
        if (key is not null)
        {
            if (outcome.Result is Accepted<ServiceAccepted>)
                await idempotency.MarkAcceptedAsync(owner, key, claim);
            else
                await idempotency.ReleaseAsync(owner, key);
        }
        return outcome;
    }

    private static async Task<Results<Accepted<ServiceAccepted>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateServiceRequest body, Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, TokenStore tokens, CommandPublisher publisher, TimeProvider clock)
    {
        var owner = user.Id();
        // The worker enforces quotas atomically; this only answers early what is already certain.
        var quota = user.Quota();
        if (quota != Quota.Unlimited && MemorySize.TryParseLimit(body.MemoryLimit, out var memoryBytes) &&
            quota.Exceeded(await tokens.UsageOfAsync(owner), memoryBytes, body.CpuLimit!.Value) is { } exceeded)
        {
            return TypedResults.Problem(statusCode: 429, title: "Quota exceeded", detail: $"This token's {exceeded} quota would be exceeded.");
        }

        var now = clock.GetUtcNow();
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(),
            ServiceId = serviceId,
            ServiceName = body.ServiceName!,
            Image = body.Image!,
            MemoryLimit = body.MemoryLimit!,
            CpuLimit = body.CpuLimit!.Value,
            InternalPort = body.InternalPort,
            Env = body.Env,
            RequestedBy = owner,
            RequestedAt = now,
        };
        // Refused here only for a name a service holds now; the worker's reservation is the real check.
        if (await records.TryCreatePendingAsync(ServiceRecord.ForCommand(command, ServiceStatus.Pending, now)) is { } refusal)
        {
            return refusal == PendingRefusal.NameTaken
                ? TypedResults.Problem(statusCode: 409, title: "Name taken", detail: $"A service named '{body.ServiceName}' exists.")
                : TypedResults.Problem(statusCode: 409, title: "Service exists", detail: $"A service with id {serviceId} exists.");
        }

        if (!await publisher.TryPublishAsync(command))
        {
            await records.DeletePendingAsync(command.ServiceId, command.CommandId, command.RequestedBy);
            return TypedResults.Problem(statusCode: 503, title: "Broker unavailable",
                detail: "The command could not be handed to the message broker; nothing was created. Try again.");
        }
        return Accepted(command.ServiceId, command.ServiceName);
    }

    private static Accepted<ServiceAccepted> Accepted(Guid serviceId, string name) =>
        TypedResults.Accepted($"/api/v1/services/{serviceId}", new ServiceAccepted(serviceId, name, ServiceStatus.Pending));
}
