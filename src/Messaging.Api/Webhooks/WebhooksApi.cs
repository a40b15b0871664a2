using Messaging.State.Webhooks;

namespace Messaging.Api.Webhooks;

/// <summary>
/// Webhook subscriptions (scope <c>admin</c>): create, list, read, delete, and the delivery outcomes.
/// The audit host does the deliveries; this only keeps the subscriptions.
/// </summary>
public static class WebhooksApi
{
    /// <summary>Maps <c>/webhooks</c> on the <c>/api/v1</c> group; every call needs <c>admin</c>.</summary>
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/webhooks").WithTags("Webhooks").RequireAuthorization(Scopes.Admin);
        group.MapPost("/", Create).WithName("CreateWebhook")
            .WithSummary("Subscribe a URL to events; the signing secret is shown in this answer only.");
        group.MapGet("/", List).WithName("ListWebhooks").WithSummary("Every subscription, without secrets.");
        group.MapGet("/{id}", Get).WithName("GetWebhook").WithSummary("One subscription, without its secret.").ProducesProblem(404);
        group.MapDelete("/{id}", Delete).WithName("DeleteWebhook").WithSummary("Unsubscribe: nothing more is delivered.").ProducesProblem(404);
        group.MapGet("/{id}/deliveries", Deliveries).WithName("ListWebhookDeliveries")
            .WithSummary("How the latest deliveries ended (delivered, or failed after the last retry), newest first.")
            .ProducesProblem(400).ProducesProblem(404);
        return group;
    }

    public static async Task<Created<CreatedWebhook>> Create(
        Validated<CreateWebhookRequest> request, ClaimsPrincipal user, WebhookStore store, TimeProvider clock)
    {
        var body = request.Value;
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
        await store.GetAsync(id) is { } subscription ? TypedResults.Ok(WebhookView.From(subscription)) : Problems.WebhookNotFound(id);

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, WebhookStore store) =>
        await store.DeleteAsync(id) ? TypedResults.NoContent() : Problems.WebhookNotFound(id);

    public static async Task<Results<Ok<WebhookDeliveryList>, ProblemHttpResult>> Deliveries(string id, WebhookStore store, int? limit)
    {
        if (QueryChecks.Limit(limit) is { } invalid)
            return invalid;
        if (await store.GetAsync(id) is null)
            return Problems.WebhookNotFound(id);
        var deliveries = await store.DeliveriesAsync(id, limit ?? QueryChecks.DefaultPageSize);
        return TypedResults.Ok(new WebhookDeliveryList([.. deliveries.Select(WebhookDeliveryView.From)]));
    }
}
