using System.Reflection;
using System.Text.RegularExpressions;
using Messaging.Contracts;

namespace Messaging.UnitTests;

public class FailureReasonsTests
{
    private static readonly string[] DesignCodes =
    [
        "invalid_command", "image_not_allowed", "limit_exceeded", "quota_exceeded",
        "name_conflict", "ports_exhausted", "docker_unavailable", "docker_error",
        // Added on purpose after the design's eight (issue 13 item 13): a create the broker never confirmed and no
        // worker received, settled by the reconciler.
        "not_delivered",
        // And issue 13 item 8: the worker's host budget (memory and CPU it may hand out over all services) would be exceeded.
        "host_capacity",
        // And issue 15: an extra hostname outside the edge's policy, or held by another service.
        "hostname_not_allowed", "hostname_conflict",
    ];

    private static IReadOnlyList<string> DeclaredConstants() =>
        typeof(FailureReasons)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && !f.IsInitOnly && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

    [Fact]
    public void The_closed_set_is_exactly_the_codes_of_the_design_and_those_added_since()
    {
        Assert.Equal(DesignCodes.Order(StringComparer.Ordinal), FailureReasons.All.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_declared_constant_is_in_All()
    {
        var constants = DeclaredConstants();
        Assert.Equal(DesignCodes.Length, constants.Count);
        Assert.All(constants, code => Assert.Contains(code, FailureReasons.All));
    }

    [Fact]
    public void All_contains_nothing_but_the_declared_constants()
    {
        Assert.Equal(DeclaredConstants().Order(StringComparer.Ordinal), FailureReasons.All.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Declared_constants_are_distinct()
    {
        var constants = DeclaredConstants();
        Assert.Equal(constants.Count, constants.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_code_is_lower_snake_case()
    {
        Assert.All(FailureReasons.All, code => Assert.Matches(new Regex("^[a-z]+(_[a-z]+)*$"), code));
    }

    [Fact]
    public void Lookups_in_All_are_case_sensitive()
    {
        Assert.DoesNotContain("INVALID_COMMAND", FailureReasons.All);
    }

    [Fact]
    public void Constants_have_the_documented_values()
    {
        Assert.Equal("invalid_command", FailureReasons.InvalidCommand);
        Assert.Equal("image_not_allowed", FailureReasons.ImageNotAllowed);
        Assert.Equal("limit_exceeded", FailureReasons.LimitExceeded);
        Assert.Equal("quota_exceeded", FailureReasons.QuotaExceeded);
        Assert.Equal("name_conflict", FailureReasons.NameConflict);
        Assert.Equal("ports_exhausted", FailureReasons.PortsExhausted);
        Assert.Equal("docker_unavailable", FailureReasons.DockerUnavailable);
        Assert.Equal("docker_error", FailureReasons.DockerError);
    }
}
