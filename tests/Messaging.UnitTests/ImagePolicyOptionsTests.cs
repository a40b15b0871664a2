using Messaging.Worker.Policy;

namespace Messaging.UnitTests;

public class ImagePolicyOptionsTests
{
    private static ImagePolicyOptions Sound() => new()
    {
        MaxMemory = "1g",
        MaxCpus = 2,
        AllowedImages =
        [
            new AllowedImage
            {
                Image = "nginx:alpine",
                MaxMemory = "512m",
                MaxCpus = 1,
                InternalPort = 80,
                Capabilities = ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE", "CAP_DAC_OVERRIDE"],
                ReadOnlyRootfs = true,
                Tmpfs = ["/tmp", "/var/cache/nginx", "/run"],
            },
            new AllowedImage { Image = "traefik/whoami:v1.10", InternalPort = 8080 },
        ],
    };

    private static ImagePolicyOptions WithEntry(AllowedImage entry)
    {
        var options = Sound();
        options.AllowedImages.Add(entry);
        return options;
    }

    [Fact]
    public void A_sound_configuration_has_no_problems()
    {
        Assert.Empty(Sound().Problems());
        Assert.True(new ImagePolicyOptionsValidator().Validate(null, Sound()).Succeeded);
    }

    [Fact]
    public void The_defaults_without_images_report_only_the_empty_allowlist()
    {
        var problem = Assert.Single(new ImagePolicyOptions().Problems());
        Assert.Contains("AllowedImages is empty", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_allowlist_is_reported()
    {
        var options = Sound();
        options.AllowedImages.Clear();
        var problem = Assert.Single(options.Problems());
        Assert.Contains("AllowedImages is empty", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("NGINX")]
    [InlineData("nginx:")]
    [InlineData("nginx alpine")]
    [InlineData("nginx@sha256:short")]
    public void A_bad_image_reference_is_reported(string image)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = image }).Problems());
        Assert.Contains("is not an image reference", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5m")]
    [InlineData("1025g")]
    [InlineData("1.5g")]
    [InlineData("lots")]
    public void A_bad_global_max_memory_is_reported(string memory)
    {
        var options = Sound();
        options.MaxMemory = memory;
        var problem = Assert.Single(options.Problems());
        Assert.Contains("Policy:MaxMemory", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5m")]
    [InlineData("512mb")]
    [InlineData("1.5g")]
    public void A_bad_entry_max_memory_is_reported(string memory)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", MaxMemory = memory }).Problems());
        Assert.Contains("MaxMemory", problem, StringComparison.Ordinal);
        Assert.Contains("redis:7", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0d)]
    [InlineData(-1d)]
    [InlineData(65d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_bad_global_max_cpus_is_reported(double cpus)
    {
        var options = Sound();
        options.MaxCpus = cpus;
        var problem = Assert.Single(options.Problems());
        Assert.Contains("Policy:MaxCpus", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0d)]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    public void A_bad_entry_max_cpus_is_reported(double cpus)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", MaxCpus = cpus }).Problems());
        Assert.Contains("MaxCpus", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public void A_bad_entry_port_is_reported(int port)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", InternalPort = port }).Problems());
        Assert.Contains("InternalPort", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SYS_ADMIN")]
    [InlineData("CAP_SYS_ADMIN")]
    [InlineData("NET_ADMIN")]
    [InlineData("CAP_NET_ADMIN")]
    [InlineData("ALL")]
    [InlineData("CAP_ALL")]
    [InlineData("SYS_MODULE")]
    [InlineData("SYS_PTRACE")]
    [InlineData("DAC_READ_SEARCH")]
    [InlineData("NET_RAW")]
    [InlineData("BPF")]
    [InlineData("MKNOD")]
    public void A_forbidden_capability_is_reported(string capability)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", Capabilities = [capability] }).Problems());
        Assert.Contains("is never granted", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sys_admin")]
    [InlineData("cap_sys_admin")]
    [InlineData("chown")]
    [InlineData("Chown")]
    [InlineData("")]
    [InlineData("C")]
    [InlineData("CHOWN; rm -rf /")]
    [InlineData("CHOWN,SYS_ADMIN")]
    [InlineData("SYS ADMIN")]
    [InlineData("SYS-ADMIN")]
    public void A_lowercase_or_garbage_capability_name_is_reported(string capability)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", Capabilities = [capability] }).Problems());
        Assert.Contains("is not a capability name", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SYS_ADMIN\n")]
    [InlineData("CAP_SYS_ADMIN\n")]
    [InlineData("CHOWN\n")]
    public void A_capability_name_with_a_trailing_newline_is_reported(string capability)
    {
        Assert.NotEmpty(WithEntry(new AllowedImage { Image = "redis:7", Capabilities = [capability] }).Problems());
    }

    [Theory]
    [InlineData("tmp")]
    [InlineData("")]
    [InlineData("./tmp")]
    [InlineData("/tmp/../etc")]
    [InlineData("/..")]
    [InlineData("/tmp:exec")]
    [InlineData("/tmp,exec")]
    public void A_relative_or_escaping_tmpfs_path_is_reported(string path)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", Tmpfs = [path] }).Problems());
        Assert.Contains("tmpfs path", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        var options = new ImagePolicyOptions
        {
            MaxMemory = "0",
            MaxCpus = 0,
            AllowedImages =
            [
                new AllowedImage { Image = "NGINX", MaxMemory = "1t", Capabilities = ["SYS_ADMIN", "chown"], Tmpfs = ["tmp"] },
            ],
        };
        Assert.Equal(7, options.Problems().Count());

        var result = new ImagePolicyOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal(7, result.Failures!.Count());
    }
}
