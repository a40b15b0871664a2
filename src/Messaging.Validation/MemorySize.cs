using System.Globalization;

namespace Messaging.Validation;

/// <summary>
/// Memory sizes in Docker's units: an integer with an optional <c>b</c>, <c>k</c>, <c>m</c> or <c>g</c>
/// suffix (case-insensitive, powers of 1024). Deliberately stricter than Docker: no decimals, no
/// exponents, no signs, no whitespace, so that what the API accepts is exactly what the worker accepts.
/// </summary>
public static class MemorySize
{
    /// <summary>Docker refuses limits under 6 MiB.</summary>
    public const long MinimumBytes = 6L * 1024 * 1024;

    /// <summary>Far above any host here; keeps arithmetic away from overflow.</summary>
    public const long MaximumBytes = 1024L * 1024 * 1024 * 1024; // 1 TiB

    private const int MaxDigits = 13;

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrEmpty(text) || text.Length > MaxDigits + 1)
            return false;

        var multiplier = char.ToLowerInvariant(text[^1]) switch
        {
            'b' => 1L,
            'k' => 1024L,
            'm' => 1024L * 1024,
            'g' => 1024L * 1024 * 1024,
            _ => 0L,
        };
        var digits = multiplier == 0 ? text : text[..^1];
        if (multiplier == 0) multiplier = 1;

        if (digits.Length is 0 or > MaxDigits || !digits.All(char.IsAsciiDigit))
            return false;
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return false;
        try
        {
            bytes = checked(number * multiplier);
        }
        catch (OverflowException)
        {
            return false;
        }
        return true;
    }

    /// <summary>Parses and checks the range Docker and this system accept.</summary>
    public static bool TryParseLimit(string? text, out long bytes) =>
        TryParse(text, out bytes) && bytes is >= MinimumBytes and <= MaximumBytes;

    /// <summary>The shortest exact Docker-unit spelling of a byte count, e.g. 134217728 -> "128m".</summary>
    public static string Format(long bytes)
    {
        foreach (var (unit, size) in new[] { ("g", 1L << 30), ("m", 1L << 20), ("k", 1L << 10) })
        {
            if (bytes != 0 && bytes % size == 0)
                return (bytes / size).ToString(CultureInfo.InvariantCulture) + unit;
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + "b";
    }
}
