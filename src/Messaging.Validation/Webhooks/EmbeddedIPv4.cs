using System.Net;

namespace Messaging.Validation.Webhooks;

/// <summary>
/// The IPv4 addresses an IPv6 address may carry to the network: a translator or tunnel on the path delivers the
/// packet to that IPv4 address, so <c>64:ff9b::a9fe:a9fe</c> reaches 169.254.169.254 just as the literal does.
/// Reading more candidates than a given network really uses only makes the policy stricter, never looser.
/// </summary>
public static class EmbeddedIPv4
{
    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");         // IPv4-compatible (RFC 4291, deprecated)
    private static readonly IPNetwork Mapped = IPNetwork.Parse("::ffff:0:0/96");     // IPv4-mapped
    private static readonly IPNetwork Translated = IPNetwork.Parse("::ffff:0:0:0/96"); // SIIT IPv4-translated (RFC 2765)
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");       // NAT64 well-known prefix (RFC 6052)
    private static readonly IPNetwork Nat64Local = IPNetwork.Parse("64:ff9b:1::/48"); // NAT64 local-use prefix (RFC 8215)
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");      // 6to4 (RFC 3056)
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");         // Teredo (RFC 4380)

    /// <summary>Every IPv4 address <paramref name="address"/> embeds; none for IPv4 and plain IPv6 addresses.</summary>
    public static IEnumerable<IPAddress> In(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            yield break;
        var bytes = address.GetAddressBytes();
        if (Mapped.Contains(address) || Translated.Contains(address) || Nat64.Contains(address)
            // A local-use NAT64 prefix may be up to /96 long; its most common form puts the IPv4 address last.
            || Nat64Local.Contains(address)
            // :: and ::1 are not IPv4-compatible addresses; the policy judges them as they are.
            || (Compatible.Contains(address) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)))
            yield return new IPAddress(bytes.AsSpan(12, 4));
        if (SixToFour.Contains(address))
            yield return new IPAddress(bytes.AsSpan(2, 4));
        if (Teredo.Contains(address))
        {
            yield return new IPAddress(bytes.AsSpan(4, 4)); // the Teredo server
            // The client's public address, stored inverted.
            yield return new IPAddress([(byte)~bytes[12], (byte)~bytes[13], (byte)~bytes[14], (byte)~bytes[15]]);
        }
    }
}
