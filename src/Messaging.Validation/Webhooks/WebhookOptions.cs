using System.ComponentModel.DataAnnotations;

namespace Messaging.Validation.Webhooks;

/// <summary>
/// Webhook address policy and delivery records. Section <c>Webhooks</c>; read by the API (subscriptions) and the audit
/// host (deliveries; its retry and circuit breaker settings are in <c>WebhookDeliveryOptions</c>, same section).
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Accept loopback and private-range addresses (127/8, 10/8, 172.16/12, 192.168/16, 100.64/10, ::1, fc00::/7).
    /// Off by default: a webhook must not become a way into the internal network. Cloud metadata (link-local,
    /// <c>fd00:ec2::/32</c>, <c>100.100.100.200</c>, ...), <see cref="DeniedNetworks"/>, unspecified, broadcast and
    /// multicast addresses are refused whatever this says.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>
    /// More addresses or CIDR networks to refuse always, beside the built-in cloud metadata list: e.g. the broker,
    /// Redis or an admin network, when <see cref="AllowPrivateAddresses"/> opens the rest of the private ranges.
    /// </summary>
    [IpNetworks]
    public List<string> DeniedNetworks { get; set; } = [];

    /// <summary>About how many delivery outcomes are kept per subscription.</summary>
    [Range(10, 1_000_000)]
    public long DeliveriesKept { get; set; } = 1_000;
}
