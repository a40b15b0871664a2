using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Messaging.Validation.Webhooks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Audit.Notifications;

/// <summary>
/// The HTTP client deliveries go through: one attempt per call (retries go through the bus, see
/// <see cref="WebhookRetrySchedule"/>), a timeout per attempt, a circuit breaker per receiver (Polly, through
/// Microsoft.Extensions.Http.Resilience), no redirects, no proxy, and a connection step that checks each resolved
/// address against <see cref="WebhookAddressPolicy"/> (a name that resolved to a public address at subscription time
/// may resolve to the metadata address now).
/// </summary>
public static class WebhookHttpClient
{
    public const string Name = "webhooks";

    public static IServiceCollection AddWebhookHttpClient(this IServiceCollection services)
    {
        var client = services.AddHttpClient(Name, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => PolicyCheckedHandler(sp.GetRequiredService<WebhookAddressPolicy>()));
        client.AddResilienceHandler("webhook-delivery", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<WebhookDeliveryOptions>>().Value;
                var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebhookHttpClient));
                var receiver = context.InstanceName;
                // A receiver that keeps failing (no connection, no answer in time, 5xx, 408, 429) is skipped for a
                // while: its deliveries fail at once (BrokenCircuitException) and wait for their next try, instead of
                // each holding a delivery slot for the whole attempt timeout.
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = options.BreakerFailureRatio,
                    MinimumThroughput = options.BreakerMinimumThroughput,
                    SamplingDuration = options.BreakerSamplingDuration,
                    BreakDuration = options.BreakDuration,
                    // The HTTP defaults (5xx, 408, 429, HttpRequestException, timeouts), and the socket errors a connection
                    // reset at once can surface unwrapped (WebhookSender counts them as no answer as well).
                    ShouldHandle = args => ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome)
                                                                || args.Outcome.Exception is SocketException or IOException),
                    OnOpened = args =>
                    {
                        logger.LogWarning("Webhook receiver {Receiver} keeps failing: its deliveries are skipped for {BreakDuration}",
                            receiver, args.BreakDuration);
                        return ValueTask.CompletedTask;
                    },
                    OnClosed = _ =>
                    {
                        logger.LogInformation("Webhook receiver {Receiver} answers again", receiver);
                        return ValueTask.CompletedTask;
                    },
                });
                // Inside the breaker, so that an attempt that timed out counts against its receiver.
                pipeline.AddTimeout(options.AttemptTimeout);
            })
            // One breaker per receiver: scheme, host and port of the URL. Never the path or query, which may carry the
            // receiver's own token: the key goes into the resilience logs and metrics.
            .SelectPipelineBy(_ => request => Receiver(request.RequestUri!));
        return services;
    }

    /// <summary>What a circuit is kept for: <c>scheme://host:port</c>.</summary>
    public static string Receiver(Uri url) => $"{url.Scheme}://{url.IdnHost}:{url.Port}";

    private static SocketsHttpHandler PolicyCheckedHandler(WebhookAddressPolicy policy) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        // Our trace context stays inside: receivers are other parties, and our trace ids are no business of theirs.
        ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = addresses.Where(address => policy.CheckAddress(address) is null).ToArray();
            if (allowed.Length == 0)
                throw new HttpRequestException(addresses.Length == 0
                    ? $"Host {host} does not resolve."
                    : $"Refused by policy: {policy.CheckAddress(addresses[0])}");
            Exception? last = null;
            foreach (var address in allowed)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    last = e;
                }
            }
            throw last!;
        },
    };
}
