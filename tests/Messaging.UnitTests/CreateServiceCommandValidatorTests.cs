using FluentValidation.Results;
using Messaging.Contracts;
using Messaging.Validation;

namespace Messaging.UnitTests;

public class CreateServiceCommandValidatorTests
{
    private readonly CreateServiceCommandValidator _validator = new();

    private ValidationResult Validate(CreateService command) => _validator.Validate(command);

    /// <summary>Asserts the command is refused, and only because of <paramref name="property"/>.</summary>
    private void AssertOnlyPropertyFails(CreateService command, string property)
    {
        var result = Validate(command);
        Assert.False(result.IsValid);
        Assert.All(result.Errors, error => Assert.Equal(property, error.PropertyName));
    }

    private void AssertValid(CreateService command)
    {
        var result = Validate(command);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}")));
    }

    [Fact]
    public void A_valid_command_passes()
    {
        var result = Validate(TestCommands.Valid());
        Assert.True(result.IsValid);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void A_default_command_fails_on_every_required_field()
    {
        var result = Validate(new CreateService());
        var failed = result.Errors.Select(e => e.PropertyName).ToHashSet();
        Assert.Superset(failed, new HashSet<string>
        {
            nameof(CreateService.CommandId), nameof(CreateService.ServiceId), nameof(CreateService.ServiceName),
            nameof(CreateService.Image), nameof(CreateService.RequestedBy),
        });
        Assert.DoesNotContain(nameof(CreateService.MemoryLimit), failed);
        Assert.DoesNotContain(nameof(CreateService.CpuLimit), failed);
        Assert.DoesNotContain(nameof(CreateService.InternalPort), failed);
        Assert.DoesNotContain(nameof(CreateService.Env), failed);
    }

    // ---- ids ----

    [Fact]
    public void Empty_command_id_is_rejected() =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { CommandId = Guid.Empty }, nameof(CreateService.CommandId));

    [Fact]
    public void Empty_service_id_is_rejected() =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { ServiceId = Guid.Empty }, nameof(CreateService.ServiceId));

    // ---- service name ----

    public static TheoryData<string> BadServiceNames => new()
    {
        "My-Nginx",
        "-lead",
        new string('a', 64),
        "a_b",
        "my.nginx",
        "../x",
        "a/b",
        "nginx\n",
        "nginx ",
        " nginx",
        "ｎｇｉｎｘ", // full-width letters
        "ñginx",
        "",
        "a", // Docker refuses one-character container names
    };

    [Theory]
    [MemberData(nameof(BadServiceNames))]
    public void Service_name_outside_the_pattern_is_rejected(string name) =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { ServiceName = name }, nameof(CreateService.ServiceName));

    public static TheoryData<string> GoodServiceNames => new()
    {
        "ab",
        new string('a', 63),
        "0abc",
        "my-nginx-2",
        "a-",
    };

    [Theory]
    [MemberData(nameof(GoodServiceNames))]
    public void Service_name_of_lowercase_letters_digits_and_dashes_is_accepted(string name) =>
        AssertValid(TestCommands.Valid() with { ServiceName = name });

    // ---- image and memory (the parsers have their own tests; here only the wiring) ----

    [Theory]
    [InlineData("")]
    [InlineData("NGINX")]
    [InlineData("nginx:alpine;rm -rf /")]
    public void Malformed_image_is_rejected_on_Image(string image) =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { Image = image }, nameof(CreateService.Image));

    [Theory]
    [InlineData("")]
    [InlineData("5m")]
    [InlineData("1025g")]
    [InlineData("1.5g")]
    [InlineData("128mb")]
    public void Bad_memory_limit_is_rejected_on_MemoryLimit(string memory) =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { MemoryLimit = memory }, nameof(CreateService.MemoryLimit));

    [Theory]
    [InlineData("6m")]
    [InlineData("1024g")]
    [InlineData("1G")]
    public void Memory_limit_in_range_is_accepted(string memory) =>
        AssertValid(TestCommands.Valid() with { MemoryLimit = memory });

    [Fact]
    public void A_command_without_limits_is_valid_the_worker_applies_the_image_defaults() =>
        AssertValid(TestCommands.Valid() with { MemoryLimit = null, CpuLimit = null });

    // ---- cpu ----

    [Theory]
    [InlineData(0d)]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(65d)]
    [InlineData(64.0001d)]
    [InlineData(0.0001d)]
    [InlineData(0.000999d)]
    [InlineData(0.001d)]
    [InlineData(0.0099d)]
    [InlineData(double.Epsilon)]
    public void Cpu_limit_outside_0_01_to_64_is_rejected(double cpus) =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { CpuLimit = cpus }, nameof(CreateService.CpuLimit));

    [Theory]
    [InlineData(0.01d)]
    [InlineData(0.5d)]
    [InlineData(1d)]
    [InlineData(64d)]
    public void Cpu_limit_between_0_01_and_64_is_accepted(double cpus) =>
        AssertValid(TestCommands.Valid() with { CpuLimit = cpus });

    // ---- internal port ----

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void Internal_port_outside_1_to_65535_is_rejected(int port) =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { InternalPort = port }, nameof(CreateService.InternalPort));

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(80)]
    [InlineData(65535)]
    public void Internal_port_absent_or_between_1_and_65535_is_accepted(int? port) =>
        AssertValid(TestCommands.Valid() with { InternalPort = port });

    // ---- env ----

    public static TheoryData<string> BadEnvKeys => new()
    {
        "1A",
        "A-B",
        "A=B",
        "",
        "A B",
        "A\n",
        "Ä",
        new string('A', 129),
    };

    [Theory]
    [MemberData(nameof(BadEnvKeys))]
    public void Env_name_outside_the_pattern_is_rejected(string key) =>
        AssertOnlyPropertyFails(
            TestCommands.Valid() with { Env = new Dictionary<string, string> { [key] = "1" } },
            nameof(CreateService.Env));

    [Fact]
    public void Env_name_of_128_characters_is_accepted() =>
        AssertValid(TestCommands.Valid() with { Env = new Dictionary<string, string> { [new string('A', 128)] = "1" } });

    [Fact]
    public void Env_of_65_entries_is_rejected()
    {
        var env = Enumerable.Range(0, 65).ToDictionary(i => $"K{i}", _ => "v");
        AssertOnlyPropertyFails(TestCommands.Valid() with { Env = env }, nameof(CreateService.Env));
    }

    [Fact]
    public void Env_of_64_entries_is_accepted()
    {
        var env = Enumerable.Range(0, 64).ToDictionary(i => $"K{i}", _ => "v");
        AssertValid(TestCommands.Valid() with { Env = env });
    }

    [Fact]
    public void Env_value_of_4097_characters_is_rejected() =>
        AssertOnlyPropertyFails(
            TestCommands.Valid() with { Env = new Dictionary<string, string> { ["A"] = new string('x', 4097) } },
            nameof(CreateService.Env));

    [Fact]
    public void Env_value_of_4096_characters_is_accepted() =>
        AssertValid(TestCommands.Valid() with { Env = new Dictionary<string, string> { ["A"] = new string('x', 4096) } });

    [Theory]
    [InlineData("\0")]
    [InlineData("abc\0def")]
    public void Env_value_with_NUL_is_rejected(string value) =>
        AssertOnlyPropertyFails(
            TestCommands.Valid() with { Env = new Dictionary<string, string> { ["A"] = value } },
            nameof(CreateService.Env));

    [Fact]
    public void Env_totalling_more_than_32_KiB_is_rejected()
    {
        var env = Enumerable.Range(0, 9).ToDictionary(i => $"K{i}", _ => new string('x', 4000));
        AssertOnlyPropertyFails(TestCommands.Valid() with { Env = env }, nameof(CreateService.Env));
    }

    [Fact]
    public void Env_of_plain_names_and_values_is_accepted() =>
        AssertValid(TestCommands.Valid() with { Env = new Dictionary<string, string> { ["A"] = "1", ["_B2"] = "x" } });

    [Fact]
    public void Env_values_may_be_empty_or_contain_any_other_text() =>
        AssertValid(TestCommands.Valid() with
        {
            Env = new Dictionary<string, string> { ["EMPTY"] = "", ["ODD"] = "a=b; $(rm -rf /)\n\"'" },
        });

    [Fact]
    public void Env_absent_is_accepted() =>
        AssertValid(TestCommands.Valid() with { Env = null });

    // ---- requested by ----

    public static TheoryData<string> BadRequesters => new()
    {
        "",
        "a b",
        "../x",
        "-x",
        "admin\n",
        "admin/x",
        "admin,x",
        "admin=x",
        new string('a', 129),
    };

    [Theory]
    [MemberData(nameof(BadRequesters))]
    public void Requester_outside_the_pattern_is_rejected(string requestedBy) =>
        AssertOnlyPropertyFails(TestCommands.Valid() with { RequestedBy = requestedBy }, nameof(CreateService.RequestedBy));

    public static TheoryData<string> GoodRequesters => new()
    {
        "admin",
        "billing-system",
        "svc:deployer@corp",
        "Token_1.2",
        new string('a', 128),
    };

    [Theory]
    [MemberData(nameof(GoodRequesters))]
    public void Requester_of_plain_characters_is_accepted(string requestedBy) =>
        AssertValid(TestCommands.Valid() with { RequestedBy = requestedBy });
}
