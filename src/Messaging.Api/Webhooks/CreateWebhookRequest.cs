using FluentValidation;
using Messaging.State.Audit;
using Messaging.Validation.Webhooks;

namespace Messaging.Api.Webhooks;

/// <summary>Body of <c>POST /api/v1/webhooks</c>.</summary>
public sealed record CreateWebhookRequest
{
    /// <summary>Where to POST: an http or https URL whose host passes the address policy.</summary>
    public string? Url { get; init; }

    /// <summary>Event types to deliver (e.g. <c>ServiceCreated</c>); absent or empty: every event.</summary>
    public IReadOnlyList<string>? EventTypes { get; init; }

    /// <summary>The signing secret (16-256 characters); generated when absent. Shown in the creation answer only.</summary>
    public string? Secret { get; init; }
}

/// <summary>
/// A subscription is refused unless its URL passes <see cref="WebhookAddressPolicy"/> (form, then every address its
/// host resolves to: no metadata, link-local or, unless allowed, private targets), its event types are events the
/// trail records, and a given secret is long enough to sign with.
/// </summary>
public sealed class CreateWebhookRequestValidator : AbstractValidator<CreateWebhookRequest>
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;

    public CreateWebhookRequestValidator(WebhookAddressPolicy policy)
    {
        RuleFor(r => r.Url).CustomAsync(async (url, context, cancellationToken) =>
        {
            if (await policy.CheckAsync(url, cancellationToken) is { } refused)
                context.AddFailure(refused);
        });
        RuleFor(r => r.EventTypes).Must(types => UnknownEventTypes(types).Count == 0)
            .WithMessage(r => $"may only contain {string.Join(", ", AuditMessageTypes.Events)} (not {string.Join(", ", UnknownEventTypes(r.EventTypes))}).");
        RuleFor(r => r.Secret).Must(secret => secret is null || (secret.Length is >= MinSecretLength and <= MaxSecretLength && !secret.Any(char.IsControl)))
            .WithMessage($"must be {MinSecretLength}-{MaxSecretLength} printable characters.");
    }

    private static List<string> UnknownEventTypes(IReadOnlyList<string>? types) =>
        [.. (types ?? []).Where(t => !AuditMessageTypes.Events.Contains(t))];
}
