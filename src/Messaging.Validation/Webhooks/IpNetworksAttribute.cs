using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Messaging.Validation.Webhooks;

/// <summary>
/// Every entry is an address or a CIDR network (<c>10.20.0.0/16</c>, <c>fd00:1234::/32</c>, <c>10.20.3.4</c>),
/// so a typo in a denylist stops the process at start instead of silently denying nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class IpNetworksAttribute : ValidationAttribute
{
    /// <summary>Parses an address (a network of one) or a CIDR network.</summary>
    public static IPNetwork Parse(string text) =>
        TryParse(text, out var network) ? network : throw new FormatException($"'{text}' is not an IP address or a CIDR network.");

    private static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
            return false;
        if (IPAddress.TryParse(text, out var address) && !text.Contains('/'))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var bad = (value as IEnumerable<string> ?? []).Where(text => !TryParse(text, out _)).ToList();
        return bad.Count == 0
            ? ValidationResult.Success
            : new ValidationResult($"{validationContext.MemberName} holds entries that are not IP addresses or CIDR networks: {string.Join(", ", bad.Select(b => $"'{b}'"))}.",
                [validationContext.MemberName!]);
    }
}
