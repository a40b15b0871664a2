using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Messaging.Validation.Webhooks;

/// <summary>
/// Which webhook URLs and addresses are acceptable. Checked when a subscription is made (the API refuses it)
/// and again on every connection the audit host opens (a name may resolve elsewhere later: DNS rebinding).
/// </summary>
public sealed class WebhookAddressPolicy
{
    // Cloud metadata and platform endpoints: credentials and instance secrets live behind them, so they are
    // refused whatever Webhooks:AllowPrivateAddresses says (several sit inside ranges that setting opens).
    private static readonly IPNetwork[] Metadata =
    [
        IPNetwork.Parse("169.254.0.0/16"),       // link-local: AWS, GCP, Azure, OpenStack, DigitalOcean metadata; ECS task credentials
        IPNetwork.Parse("fd00:ec2::/32"),        // AWS metadata, DNS and time over IPv6 (fd00:ec2::254, ::253, ::123)
        IPNetwork.Parse("100.100.100.200/32"),   // Alibaba Cloud metadata (inside 100.64/10)
        IPNetwork.Parse("168.63.129.16/32"),     // Azure WireServer (a public address)
        IPNetwork.Parse("192.0.0.192/32"),       // Oracle Cloud metadata (older instances)
    ];

    // Never routable to a receiver: "this network", multicast, reserved, unspecified, link-local IPv6.
    private static readonly IPNetwork[] NotRoutable =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    // Only when Webhooks:AllowPrivateAddresses is true: loopback and private ranges.
    private static readonly IPNetwork[] Private =
    [
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fec0::/10"),
        // A local-use NAT64 prefix translates into the operator's own network, at a prefix length we cannot know.
        IPNetwork.Parse("64:ff9b:1::/48"),
    ];

    private readonly WebhookOptions _options;
    private readonly IPNetwork[] _denied;

    public WebhookAddressPolicy(IOptions<WebhookOptions> options)
    {
        _options = options.Value;
        _denied = [.. Metadata, .. _options.DeniedNetworks.Select(IpNetworksAttribute.Parse)];
    }

    /// <summary>Why the URL's form is refused (not absolute http(s), credentials in it), or null.</summary>
    public static string? CheckForm(string? url, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var parsed))
            return "must be an absolute URL of at most 2048 characters.";
        if (parsed.Scheme is not ("http" or "https"))
            return "must be an http or https URL.";
        if (!string.IsNullOrEmpty(parsed.UserInfo))
            return "must not carry credentials; the deliveries are signed instead.";
        if (string.IsNullOrEmpty(parsed.IdnHost))
            return "must name a host.";
        uri = parsed;
        return null;
    }

    /// <summary>
    /// Why deliveries may not go to <paramref name="address"/>, or null when they may. An IPv6 address that carries an
    /// IPv4 address (mapped, NAT64, 6to4, Teredo) must pass both as itself and as every IPv4 address it carries.
    /// </summary>
    public string? CheckAddress(IPAddress address)
    {
        if (Refusal(address) is { } reason)
            return $"address {address} is {reason}";
        foreach (var embedded in EmbeddedIPv4.In(address))
            if (Refusal(embedded) is { } embeddedReason)
                return $"address {address} carries {embedded}, which is {embeddedReason}";
        return null;
    }

    /// <summary>Why <paramref name="address"/> alone is refused, as the end of a sentence; null when it is not.</summary>
    private string? Refusal(IPAddress address)
    {
        if (_denied.Any(n => n.Contains(address)))
            return "cloud metadata or denied by Webhooks:DeniedNetworks and is never allowed.";
        if (IPAddress.Broadcast.Equals(address) || NotRoutable.Any(n => n.Contains(address)))
            return "multicast, unspecified or otherwise not routable and is never allowed.";
        if (!_options.AllowPrivateAddresses && Private.Any(n => n.Contains(address)))
            return "loopback or private (allowed only with Webhooks:AllowPrivateAddresses).";
        return null;
    }

    /// <summary>Why the URL is refused: its form, or any address its host resolves to. Null when it is acceptable.</summary>
    public async Task<string?> CheckAsync(string? url, CancellationToken cancellationToken)
    {
        if (CheckForm(url, out var uri) is { } formProblem)
            return formProblem;
        IPAddress[] addresses;
        if (IPAddress.TryParse(uri!.IdnHost.Trim('[', ']'), out var literal))
            addresses = [literal];
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken);
            }
            catch (SocketException)
            {
                return $"host {uri.IdnHost} cannot be resolved.";
            }
        }
        if (addresses.Length == 0)
            return $"host {uri.IdnHost} cannot be resolved.";
        return addresses.Select(CheckAddress).FirstOrDefault(problem => problem is not null);
    }
}
