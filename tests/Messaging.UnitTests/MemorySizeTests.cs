using Messaging.Validation;

namespace Messaging.UnitTests;

public class MemorySizeTests
{
    private const long KiB = 1024;
    private const long MiB = 1024 * KiB;
    private const long GiB = 1024 * MiB;

    [Fact]
    public void Memory_with_unit_m_is_mebibytes()
    {
        Assert.True(MemorySize.TryParse("128m", out var bytes));
        Assert.Equal(128 * MiB, bytes);
    }

    [Theory]
    [InlineData("128m", 128 * MiB)]
    [InlineData("128M", 128 * MiB)]
    [InlineData("1g", GiB)]
    [InlineData("1G", GiB)]
    [InlineData("512k", 512 * KiB)]
    [InlineData("512K", 512 * KiB)]
    [InlineData("100b", 100L)]
    [InlineData("6291456", 6 * MiB)]
    [InlineData("0128m", 128 * MiB)]
    public void Well_formed_sizes_parse_to_bytes_in_powers_of_1024(string text, long expected)
    {
        Assert.True(MemorySize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("128m", 128 * MiB)]
    [InlineData("128M", 128 * MiB)]
    [InlineData("1g", GiB)]
    [InlineData("6291456", 6 * MiB)]
    [InlineData("6m", 6 * MiB)]
    [InlineData("6144k", 6 * MiB)]
    [InlineData("1024g", 1024 * GiB)]
    [InlineData("1048576m", 1024 * GiB)]
    [InlineData("1099511627776", 1024 * GiB)]
    public void Limits_between_6m_and_1024g_are_accepted(string text, long expected)
    {
        Assert.True(MemorySize.TryParseLimit(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Minimum_and_maximum_are_6_mebibytes_and_1_tebibyte()
    {
        Assert.Equal(6 * MiB, MemorySize.MinimumBytes);
        Assert.Equal(1024 * GiB, MemorySize.MaximumBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("-1m")]
    [InlineData("+128m")]
    [InlineData("1e9g")]
    [InlineData("1e9")]
    [InlineData("99999999999999999999")]
    [InlineData("9999999999999g")]
    [InlineData(" 128m")]
    [InlineData("128m ")]
    [InlineData("128 m")]
    [InlineData("128mb")]
    [InlineData("128t")]
    [InlineData("1.5g")]
    [InlineData("1,5g")]
    [InlineData("0x10")]
    [InlineData("128m\n")]
    [InlineData("\u0661\u0662\u0668m")] // Arabic-Indic digits
    [InlineData("\uFF11\uFF12\uFF18m")] // full-width digits
    [InlineData("m")]
    [InlineData("g")]
    [InlineData(null)]
    public void Malformed_sizes_are_rejected(string? text)
    {
        Assert.False(MemorySize.TryParse(text, out _));
        Assert.False(MemorySize.TryParseLimit(text, out _));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0m")]
    [InlineData("5m")]
    [InlineData("6291455")]
    [InlineData("6143k")]
    [InlineData("1025g")]
    [InlineData("1099511627777")]
    public void Well_formed_sizes_outside_6m_to_1024g_are_not_limits(string text)
    {
        Assert.True(MemorySize.TryParse(text, out _));
        Assert.False(MemorySize.TryParseLimit(text, out _));
    }

    [Theory]
    [InlineData(134217728L, "128m")]
    [InlineData(1073741824L, "1g")]
    [InlineData(1000L, "1000b")]
    [InlineData(524288L, "512k")]
    [InlineData(1610612736L, "1536m")]
    [InlineData(1099511627776L, "1024g")]
    [InlineData(1025L, "1025b")]
    public void Format_gives_the_shortest_exact_spelling(long bytes, string expected)
    {
        Assert.Equal(expected, MemorySize.Format(bytes));
    }

    [Theory]
    [InlineData(134217728L)]
    [InlineData(1073741824L)]
    [InlineData(1000L)]
    [InlineData(6L * 1024 * 1024)]
    [InlineData(1099511627776L)]
    [InlineData(123456789L)]
    public void Format_round_trips_through_TryParse(long bytes)
    {
        Assert.True(MemorySize.TryParse(MemorySize.Format(bytes), out var parsed));
        Assert.Equal(bytes, parsed);
    }
}
