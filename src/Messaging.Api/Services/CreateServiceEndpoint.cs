using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Idempotency;
using Messaging.State.Tokens;
using Messaging.Validation;
using Messaging.Validation.Hostnames;
using Messaging.State.Reservations;
using Microsoft.AspNetCore.Mvc;
using Messaging.Api.Templates;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Services;

public static class CreateServiceEndpoint
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static async Task<Results<Accepted<ServiceAccepted>, ProblemHttpResult>> Handle(
        Validated<CreateServiceRequest> request,
        [FromHeader(Name = IdempotencyHeader)] string? key,
        ClaimsPrincipal user,
        ServiceRecordStore records,
        TokenStore tokens,
        IdempotencyStore idempotency,
        CommandPublisher publisher,
        IOptions<PublishOptions> publishing,
        HostnameReservations hostnames,
        IOptions<HostnameOptions> hostnameOptions,
        TemplateCatalogue templates,
        TimeProvider clock)
    {
        var body = request.Value;
        var owner = user.Id();
        if (await RefuseHostnames(body, hostnames, hostnameOptions.Value) is { } refused)
            return refused;
        if (key is not null && !IdempotencyKeys.KeyPattern().IsMatch(key))
            return Problems.InvalidParameter(IdempotencyHeader, "Use 1-128 characters of A-Z, a-z, 0-9 and _.:-");

        var claim = new IdempotencyEntry(IdempotencyState.Pending, Guid.NewGuid(), body.ServiceName!, IdempotencyKeys.Hash(body));
        while (key is not null && !await idempotency.TryClaimAsync(owner, key, claim))
        {
            // Someone sent this key before: answer as they were answered, once they know the answer.
            // Their attempt may publish 1 + UnconfirmedRepublishes times, each waiting up to the confirm timeout.
            var patience = publishing.Value.ConfirmTimeout * (1 + publishing.Value.UnconfirmedRepublishes) + TimeSpan.FromSeconds(2);
            var (accepted, released) = await idempotency.WaitForAsync(owner, key, patience);
            if (released)
                continue; // their attempt failed and gave the key back: this request makes its own attempt
            if (accepted is null)
                return Problems.RequestInProgress();
            if (accepted.BodyHash != claim.BodyHash)
                return Problems.IdempotencyKeyReused();
            return accepted.State == IdempotencyState.Unconfirmed
                ? Problems.CreationOutcomeUnknown(accepted.ServiceId)
                : Accepted(accepted.ServiceId, accepted.ServiceName);
        }

        IdempotencyState? answered = null;
        try
        {
            var (answer, kept) = await CreateAsync(body, claim.ServiceId, user, records, tokens, publisher, publishing.Value, templates, clock);
            if (key is not null && kept is { } state)
                await idempotency.MarkAnsweredAsync(owner, key, claim with { State = state });
            answered = kept;
            return answer;
        }
        finally
        {
            // Nothing was created (refused, or an exception on the way): a retry with this key must get its own
            // attempt, not a 409 for the key's whole retention.
            if (key is not null && answered is null)
                await idempotency.ReleaseAsync(owner, key);
        }
    }

    /// <summary>The answer, and the state the Idempotency-Key keeps (null: nothing was created, release it).</summary>
    private static async Task<(Results<Accepted<ServiceAccepted>, ProblemHttpResult> Answer, IdempotencyState? Kept)> CreateAsync(
        CreateServiceRequest body, Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, TokenStore tokens, CommandPublisher publisher,
        PublishOptions publishing, TemplateCatalogue templates, TimeProvider clock)
    {
        var owner = user.Id();
        IReadOnlyDictionary<string, string>? generated = null;
        if (body.Template is not null)
        {
            // Generated secrets go into the command's env (the audit trail redacts env values) and into this answer, nowhere else.
            var (expanded, refused, secrets) = await ServiceFromTemplate.ExpandAsync(body, templates);
            if (refused is not null)
                return (refused, null);
            (body, generated) = (expanded!, secrets);
        }
        // The worker enforces quotas atomically; this only answers early what is already certain. Absent limits are
        // the image's defaults, which only the worker knows (it holds the allowlist): the worker's check covers those.
        var quota = user.Quota();
        if (quota != Quota.Unlimited && MemorySize.TryParseLimit(body.MemoryLimit, out var memoryBytes) && body.CpuLimit is { } cpus &&
            quota.Exceeded(await tokens.UsageOfAsync(owner), memoryBytes, cpus) is { } exceeded)
        {
            return (Problems.QuotaExceeded(exceeded), null);
        }

        var now = clock.GetUtcNow();
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(),
            ServiceId = serviceId,
            ServiceName = body.ServiceName!,
            Image = body.Image!,
            MemoryLimit = body.MemoryLimit,
            CpuLimit = body.CpuLimit,
            InternalPort = body.InternalPort,
            Env = body.Env,
            Restart = body.Restart,
            MaxRestarts = body.MaxRestarts,
            OnUnhealthy = body.OnUnhealthy,
            Hostnames = body.Hostnames is { Count: > 0 } extra ? extra : null,
            RequestedBy = owner,
            RequestedAt = now,
        };
        // Refused here only for a name a service holds now; the worker's reservation is the real check.
        if (await records.TryCreatePendingAsync(ServiceRecord.ForCommand(command, ServiceStatus.Pending, now) with { Unconfirmed = true }) is { } refusal)
        {
            return (refusal == PendingRefusal.NameTaken ? Problems.NameTaken(body.ServiceName!) : Problems.ServiceExists(serviceId), null);
        }

        var outcome = await publisher.PublishAsync(command);
        // Unconfirmed: the broker may or may not have it. The same command again (same command id: the worker carries it
        // out once, a second copy is a redelivery to it) turns "maybe" into "at least once" as soon as one copy is
        // confirmed. Found by the rolling upgrade (docs/FAULTS.md, scenario 12): a freshly started API's channel held up
        // for longer than the confirm timeout left creations pending, never delivered, until not_delivered.
        for (var again = 0; outcome == PublishOutcome.Unconfirmed && again < publishing.UnconfirmedRepublishes; again++)
        {
            if (await publisher.PublishAsync(command) == PublishOutcome.Confirmed)
                outcome = PublishOutcome.Confirmed;
        }
        switch (outcome)
        {
            case PublishOutcome.NotSent:
                await records.DeletePendingAsync(command.ServiceId, command.CommandId, command.RequestedBy);
                return (Problems.BrokerUnavailable(undone: true), null);
            case PublishOutcome.Unconfirmed:
                // A worker may still get it: the record stays pending and unconfirmed until a claim or the expiry settles it.
                return (Problems.CreationOutcomeUnknown(command.ServiceId), IdempotencyState.Unconfirmed);
            default:
                await records.ConfirmPendingAsync(command.ServiceId);
                return (Accepted(command.ServiceId, command.ServiceName, generated), IdempotencyState.Accepted);
        }
    }

    /// <summary>
    /// The worker judges extra hostnames again and reserves them atomically (other systems publish commands directly);
    /// this answers early what is already certain: a name outside the policy (400), or one another service holds (409).
    /// </summary>
    private static async Task<ProblemHttpResult?> RefuseHostnames(CreateServiceRequest body, HostnameReservations hostnames, HostnameOptions options)
    {
        if (HostnamePolicy.Check(body.Hostnames, body.ServiceName!, options) is { } refusal)
            return Problems.HostnameRefused(StatusCodes.Status400BadRequest, refusal.Reason, refusal.Message);
        foreach (var host in body.Hostnames ?? [])
        {
            if (await hostnames.HolderOfAsync(host) is not null)
                return Problems.HostnameRefused(StatusCodes.Status409Conflict, FailureReasons.HostnameConflict, $"The hostname '{host}' is held by another service.");
        }
        return null;
    }

    private static Accepted<ServiceAccepted> Accepted(Guid serviceId, string name) =>
        TypedResults.Accepted($"/api/v1/services/{serviceId}", new ServiceAccepted(serviceId, name, ServiceStatus.Pending));
    private static Accepted<ServiceAccepted> Accepted(Guid serviceId, string name, IReadOnlyDictionary<string, string>? generatedSecrets = null) =>
        TypedResults.Accepted($"/api/v1/services/{serviceId}",
            new ServiceAccepted(serviceId, name, ServiceStatus.Pending) { GeneratedSecrets = generatedSecrets });
}
