using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Messaging.State.Webhooks;
using Messaging.Validation.Webhooks;

namespace Messaging.Audit.Notifications;

/// <summary>
/// Delivers one event to one subscription: a signed POST, retried by <see cref="WebhookHttpClient"/>, and the
/// outcome (delivered, or failed after the last attempt) recorded for <c>GET /api/v1/webhooks/{id}/deliveries</c>.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, WebhookStore store, TimeProvider clock, ILogger<WebhookSender> logger)
{
    public async Task DeliverAsync(WebhookSubscription subscription, string eventType, string eventId, byte[] body, CancellationToken cancellationToken)
    {
        using var activity = AuditTelemetry.Source.StartActivity("webhook deliver");
        activity?.SetTag("messaging.webhook.subscription", subscription.Id);
        activity?.SetTag("messaging.message_type", eventType);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Compute(subscription.Secret, timestamp, body));
        request.Headers.Add(WebhookSignature.EventHeader, eventType);
        request.Headers.Add(WebhookSignature.DeliveryHeader, eventId);
        var attempts = new StrongBox<int>(0);
        request.Options.Set(WebhookHttpClient.Attempts, attempts);

        int? status = null;
        string? error = null;
        try
        {
            // Only the status counts. The body is never read: a receiver could answer with gigabytes or a stream that
            // never ends; disposing the response closes the connection instead of draining it.
            using var response = await clients.CreateClient(WebhookHttpClient.Name)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
                error = $"answered {status}";
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            error = e.Message;
        }

        var delivered = error is null;
        activity?.SetTag("messaging.webhook.attempts", attempts.Value);
        activity?.SetTag("http.response.status_code", status);
        if (!delivered)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error);
            logger.LogWarning("Webhook {Subscription}: {Type} {EventId} failed after {Attempts} attempts: {Error}",
                subscription.Id, eventType, eventId, attempts.Value, error);
        }
        await store.RecordDeliveryAsync(subscription.Id, new WebhookDelivery
        {
            At = clock.GetUtcNow(), EventType = eventType, EventId = eventId,
            Status = delivered ? WebhookDelivery.Delivered : WebhookDelivery.Failed,
            Attempts = attempts.Value, StatusCode = status, Error = error,
        });
    }
}
