using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Messaging.Stacks.Templates;

/// <summary>Checks a value against its parameter's type, and makes generated secrets.</summary>
public static partial class ParameterValues
{
    public const int MaxStringLength = 4096;

    /// <summary>Bytes of randomness in a generated secret (256 bits), written as base64url without padding.</summary>
    public const int GeneratedSecretBytes = 32;

    /// <summary>Null when <paramref name="value"/> is a good <paramref name="type"/>; otherwise why not.</summary>
    public static string? Problem(ParameterType type, string value) => type switch
    {
        ParameterType.String or ParameterType.Secret =>
            value.Length > MaxStringLength || value.Contains('\0') ? $"must be text of at most {MaxStringLength} characters without NUL." : null,
        ParameterType.Int =>
            long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : "must be a whole number.",
        ParameterType.Port =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535 ? null : "must be a port, 1-65535.",
        ParameterType.Hostname =>
            value.Length <= 253 && HostnamePattern().IsMatch(value) ? null : "must be a DNS host name (letters, digits, '-' and dots).",
        ParameterType.GeneratedSecret => "is generated; it cannot be given.",
        _ => "has an unknown type.",
    };

    public static string Generate() => Base64Url(RandomNumberGenerator.GetBytes(GeneratedSecretBytes));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex(@"^(?=.{1,253}\z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\z", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex HostnamePattern();
}
