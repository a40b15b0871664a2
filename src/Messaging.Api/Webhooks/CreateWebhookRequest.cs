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
