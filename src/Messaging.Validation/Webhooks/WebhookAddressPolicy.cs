using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Messaging.Validation.Webhooks;

/// <summary>
/// Which webhook URLs and addresses are acceptable. Checked when a subscription is made (the API refuses it)
/// and again on every connection the audit host opens (a name may resolve elsewhere later: DNS rebinding).
/// </summary>
public sealed class WebhookAddressPolicy(IOptions<WebhookOptions> options)
{
    // Never: cloud metadata and the rest of link-local, "this network", broadcast, multicast, reserved.
    private static readonly Network[] AlwaysRefused =
    [
        new("0.0.0.0", 8), new("169.254.0.0", 16), new("224.0.0.0", 4), new("240.0.0.0", 4),
        new("::", 128), new("fe80::", 10), new("ff00::", 8),
    ];

    // Only when Webhooks:AllowPrivateAddresses is true: loopback and private ranges.
    private static readonly Network[] Private =
    [
        new("127.0.0.0", 8), new("10.0.0.0", 8), new("172.16.0.0", 12), new("192.168.0.0", 16), new("100.64.0.0", 10),
        new("::1", 128), new("fc00::", 7),
    ];

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

    /// <summary>Why deliveries may not go to <paramref name="address"/>, or null when they may.</summary>
    public string? CheckAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.Broadcast.Equals(address) || AlwaysRefused.Any(n => n.Contains(address)))
            return $"address {address} is link-local, multicast or otherwise not routable and is never allowed.";
        if (!options.Value.AllowPrivateAddresses && Private.Any(n => n.Contains(address)))
            return $"address {address} is loopback or private (allowed only with Webhooks:AllowPrivateAddresses).";
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

    private sealed class Network
    {
        private readonly byte[] _prefix;
        private readonly int _bits;

        public Network(string address, int bits)
        {
            _prefix = IPAddress.Parse(address).GetAddressBytes();
            _bits = bits;
        }

        public bool Contains(IPAddress address)
        {
            var bytes = address.GetAddressBytes();
            if (bytes.Length != _prefix.Length)
                return false;
            for (var bit = 0; bit < _bits; bit++)
            {
                var mask = 0x80 >> (bit % 8);
                if ((bytes[bit / 8] & mask) != (_prefix[bit / 8] & mask))
                    return false;
            }
            return true;
        }
    }
}
