using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Messaging.State.Webhooks;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Messaging.Audit.Notifications;

/// <summary>How one try of a delivery went: delivered, or failed with the status answered (if any) and why.</summary>
public sealed record WebhookAttemptOutcome(bool Delivered, bool Retryable, int? StatusCode, string? Error)
{
    public static WebhookAttemptOutcome Answered(int status) =>
        status is >= 200 and < 300
            ? new(true, false, status, null)
            // As the HTTP resilience defaults: 5xx, 408 and 429 may pass; any other answer will not change by asking again.
            : new(false, status >= 500 || status is 408 or 429, status, $"answered {status}");

    public static WebhookAttemptOutcome NoAnswer(string error) => new(false, true, null, error);

    /// <summary>Not attempted: the receiver failed often enough lately that its circuit is open.</summary>
    public static WebhookAttemptOutcome CircuitOpen { get; } =
        new(false, true, null, "not attempted: the receiver's circuit is open after repeated failures");
}

/// <summary>
/// Makes one try of a delivery: a signed POST through <see cref="WebhookHttpClient"/> (address policy at connection,
/// timeout, the receiver's circuit breaker). Whether to try again, and the record of how it ended, are
/// <see cref="DeliverWebhookConsumer"/>'s.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, TimeProvider clock, ILogger<WebhookSender> logger)
{
    public async Task<WebhookAttemptOutcome> AttemptAsync(WebhookSubscription subscription, DeliverWebhook delivery, CancellationToken cancellationToken)
    {
        using var activity = AuditTelemetry.Source.StartActivity("webhook deliver");
        activity?.SetTag("messaging.webhook.subscription", subscription.Id);
        activity?.SetTag("messaging.message_type", delivery.EventType);
        activity?.SetTag("messaging.webhook.attempt", delivery.Attempt);
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Compute(subscription.Secret, timestamp, body));
        request.Headers.Add(WebhookSignature.EventHeader, delivery.EventType);
        request.Headers.Add(WebhookSignature.DeliveryHeader, delivery.EventId);

        WebhookAttemptOutcome outcome;
        try
        {
            // Only the status counts. The body is never read: a receiver could answer with gigabytes or a stream that
            // never ends; disposing the response closes the connection instead of draining it.
            using var response = await clients.CreateClient(WebhookHttpClient.Name)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            outcome = WebhookAttemptOutcome.Answered((int)response.StatusCode);
        }
        catch (BrokenCircuitException)
        {
            outcome = WebhookAttemptOutcome.CircuitOpen;
        }
        // SocketException and IOException too: a receiver that resets the connection the moment it accepts it can make
        // the handler's own reading of the socket throw unwrapped (seen as "Transport endpoint is not connected").
        catch (Exception e) when (e is HttpRequestException or TimeoutException or TimeoutRejectedException or SocketException or IOException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            outcome = WebhookAttemptOutcome.NoAnswer(e.Message);
        }

        activity?.SetTag("http.response.status_code", outcome.StatusCode);
        if (!outcome.Delivered)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
            logger.LogInformation("Webhook {Subscription}: {Type} {EventId} try {Attempt} failed: {Error}",
                subscription.Id, delivery.EventType, delivery.EventId, delivery.Attempt, outcome.Error);
        }
        return outcome;
    }
}
