using System.Security.Claims;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.State.Audit;
using Messaging.State.Webhooks;
using Messaging.Validation.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Webhooks;

/// <summary>
/// Webhook subscriptions (scope <c>admin</c>): create, list, read, delete, and the delivery outcomes.
/// The audit host does the deliveries; this only keeps the subscriptions.
/// </summary>
public static class WebhooksApi
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;
    public const int MaxDeliveriesShown = 200;

    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireAuthorization(Scopes.Admin);
        group.MapPost("/", Create).Accepts<CreateWebhookRequest>("application/json").WithName("CreateWebhook")
            .WithSummary("Subscribe a URL to events; the signing secret is shown in this answer only.");
        group.MapGet("/", List).WithName("ListWebhooks").WithSummary("Every subscription, without secrets.");
        group.MapGet("/{id}", Get).WithName("GetWebhook").WithSummary("One subscription, without its secret.");
        group.MapDelete("/{id}", Delete).WithName("DeleteWebhook").WithSummary("Unsubscribe: nothing more is delivered.");
        group.MapGet("/{id}/deliveries", Deliveries).WithName("ListWebhookDeliveries")
            .WithSummary("How the latest deliveries ended (delivered, or failed after the last retry), newest first.");
        return group;
    }

    public static async Task<Results<Created<CreatedWebhook>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, ClaimsPrincipal user, WebhookStore store, WebhookAddressPolicy policy, TimeProvider clock)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateWebhookRequest>(request);
        if (problem is not null)
            return problem;

        var errors = new Dictionary<string, string[]>();
        if (await policy.CheckAsync(body!.Url, request.HttpContext.RequestAborted) is { } urlProblem)
            errors["url"] = [$"url {urlProblem}"];
        var unknown = (body.EventTypes ?? []).Where(t => !AuditMessageTypes.Events.Contains(t)).ToList();
        if (unknown.Count > 0)
            errors["event_types"] = [$"event_types may only contain {string.Join(", ", AuditMessageTypes.Events)} (not {string.Join(", ", unknown)})."];
        if (body.Secret is { } given && (given.Length is < MinSecretLength or > MaxSecretLength || given.Any(char.IsControl)))
            errors["secret"] = [$"secret must be {MinSecretLength}-{MaxSecretLength} printable characters."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var subscription = new WebhookSubscription
        {
            Id = WebhookStore.NewId(),
            Url = body.Url!,
            EventTypes = [.. (body.EventTypes ?? []).Distinct()],
            Secret = body.Secret ?? WebhookStore.NewSecret(),
            CreatedBy = user.Id(),
            CreatedAt = clock.GetUtcNow(),
        };
        await store.SaveAsync(subscription);
        return TypedResults.Created($"/api/v1/webhooks/{subscription.Id}", new CreatedWebhook(subscription.Secret, WebhookView.From(subscription)));
    }

    public static async Task<Ok<WebhookList>> List(WebhookStore store) =>
        TypedResults.Ok(new WebhookList([.. (await store.ListAsync()).Select(WebhookView.From)]));

    public static async Task<Results<Ok<WebhookView>, ProblemHttpResult>> Get(string id, WebhookStore store) =>
        await store.GetAsync(id) is { } subscription ? TypedResults.Ok(WebhookView.From(subscription)) : NotFound(id);

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, WebhookStore store) =>
        await store.DeleteAsync(id) ? TypedResults.NoContent() : NotFound(id);

    public static async Task<Results<Ok<WebhookDeliveryList>, ProblemHttpResult>> Deliveries(string id, WebhookStore store, int? limit)
    {
        if (limit is < 1 or > MaxDeliveriesShown)
            return TypedResults.Problem(statusCode: 400, title: "Invalid limit", detail: $"limit must be 1-{MaxDeliveriesShown}.");
        if (await store.GetAsync(id) is null)
            return NotFound(id);
        var deliveries = await store.DeliveriesAsync(id, limit ?? 50);
        return TypedResults.Ok(new WebhookDeliveryList([.. deliveries.Select(WebhookDeliveryView.From)]));
    }

    private static ProblemHttpResult NotFound(string id) => TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"No webhook {id}.");
}
