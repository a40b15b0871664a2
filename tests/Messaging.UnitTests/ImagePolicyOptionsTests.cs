using Messaging.Worker.Policy;

namespace Messaging.UnitTests;

public class ImagePolicyOptionsTests
{
    private static ImagePolicyOptions Sound() => new()
    {
        MaxMemory = "1g",
        MaxCpus = 2,
        AllowedCapabilities = ["CHOWN", "SETUID", "SETGID", "CAP_DAC_OVERRIDE"],
        AllowedImages =
        [
            new AllowedImage
            {
                Image = "nginx:alpine",
                MaxMemory = "512m",
                MaxCpus = 1,
                InternalPort = 80,
                RunAsRoot = true,
                Capabilities = ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE", "DAC_OVERRIDE"],
                ReadOnlyRootfs = true,
                Tmpfs = ["/tmp", "/var/cache/nginx", "/run"],
                TmpfsSize = "16m",
            },
            new AllowedImage { Image = "traefik/whoami:v1.10", InternalPort = 8080, User = "65534:65534" },
        ],
    };

    /// <summary>The sound policy plus <paramref name="entry"/>, given a non-root user when it names none and is not RunAsRoot.</summary>
    private static ImagePolicyOptions WithEntry(AllowedImage entry)
    {
        var options = Sound();
        if (!entry.RunAsRoot)
            entry.User ??= "999:999";
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

    [Theory]
    [InlineData("512m", null, null, null)]
    [InlineData(null, 0.5, null, null)]
    [InlineData("5m", null, "DefaultMemory '5m'", null)]
    [InlineData("513m", null, "default memory 513m is above its cap of 512m", null)]
    [InlineData(null, 1.5, "default CPU limit 1.5 is above its cap of 1", null)]
    [InlineData(null, 0.001, "DefaultCpus must be at least", null)]
    [InlineData(null, null, "default memory 2g is above its cap of 512m", "2g")]
    public void Entry_defaults_must_be_sizes_within_the_entry_caps(string? memory, double? cpus, string? expected, string? globalDefaultMemory)
    {
        var options = WithEntry(new AllowedImage { Image = "redis:7", MaxMemory = "512m", MaxCpus = 1, DefaultMemory = memory, DefaultCpus = cpus });
        options.AllowedImages.RemoveAll(e => e.Image != "redis:7");
        if (globalDefaultMemory is not null)
            options.DefaultMemory = globalDefaultMemory;
        var problems = options.Problems().ToList();
        if (expected is null)
            Assert.Empty(problems);
        else
            Assert.Contains(expected, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", null, "Policy:DefaultMemory")]
    [InlineData("128m", 0d, "Policy:DefaultCpus")]
    [InlineData("128m", 65d, "Policy:DefaultCpus")]
    public void Bad_global_defaults_are_reported(string memory, double? cpus, string expected)
    {
        var options = Sound();
        options.DefaultMemory = memory;
        options.DefaultCpus = cpus ?? options.DefaultCpus;
        Assert.Contains(options.Problems(), p => p.Contains(expected, StringComparison.Ordinal));
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
                new AllowedImage { Image = "NGINX", MaxMemory = "1t", Capabilities = ["SYS_ADMIN", "chown", "KILL"], Tmpfs = ["tmp"] },
            ],
        };
        Assert.Equal(9, options.Problems().Count()); // the seven above, no User, KILL without the opt-in

        var result = new ImagePolicyOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal(9, result.Failures!.Count());
    }

    // --- who the container runs as ---

    [Fact]
    public void An_entry_without_a_user_is_refused_and_told_how_to_say_it_runs_as_root()
    {
        var options = Sound();
        options.AllowedImages.Add(new AllowedImage { Image = "redis:7" });
        var problem = Assert.Single(options.Problems());
        Assert.Contains("'redis:7': no User", problem, StringComparison.Ordinal);
        Assert.Contains("RunAsRoot: true", problem, StringComparison.Ordinal);
        Assert.True(new ImagePolicyOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void An_entry_that_says_it_runs_as_root_is_accepted()
    {
        Assert.Empty(WithEntry(new AllowedImage { Image = "redis:7", RunAsRoot = true }).Problems());
    }

    [Theory]
    [InlineData("0:0")]
    [InlineData("0:101")]
    [InlineData("101:0")]
    public void A_root_user_or_group_is_refused(string user)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", User = user }).Problems());
        Assert.Contains("is root", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("root")]
    [InlineData("nginx")]
    [InlineData("nginx:nginx")]
    [InlineData("101")]
    [InlineData("101:")]
    [InlineData(":101")]
    [InlineData("00:101")]
    [InlineData("101:00")]
    [InlineData("-1:101")]
    [InlineData(" 101:101")]
    [InlineData("101:101\n")]
    [InlineData("1000000000:1")]
    [InlineData("")]
    public void A_user_that_is_not_a_numeric_uid_and_gid_is_refused(string user)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", User = user }).Problems());
        Assert.Contains("must be a numeric UID:GID", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_with_both_a_user_and_RunAsRoot_is_refused()
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", User = "999:999", RunAsRoot = true }).Problems());
        Assert.Contains("not both", problem, StringComparison.Ordinal);
    }

    // --- capabilities: an allowlist with one opt-in place ---

    /// <summary>Docker grants these by default; an entry could list them before, now only with the operator's opt-in.</summary>
    public static TheoryData<string> OptInCapabilities => new()
    {
        "CHOWN", "SETUID", "SETGID", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETFCAP", "SYS_CHROOT", "KILL", "AUDIT_WRITE", "CAP_KILL",
    };

    [Theory]
    [MemberData(nameof(OptInCapabilities))]
    public void A_capability_beyond_net_bind_service_is_refused_without_the_operator_s_opt_in(string capability)
    {
        var options = WithEntry(new AllowedImage { Image = "redis:7", Capabilities = [capability] });
        options.AllowedCapabilities = null;
        var problem = Assert.Single(options.Problems(), p => p.Contains("redis:7", StringComparison.Ordinal));
        Assert.Contains($"capability {capability} is not allowed", problem, StringComparison.Ordinal);
        Assert.Contains("Policy:AllowedCapabilities", problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OptInCapabilities))]
    public void A_capability_the_operator_opted_into_may_be_granted(string capability)
    {
        var options = WithEntry(new AllowedImage { Image = "redis:7", Capabilities = [capability] });
        options.AllowedCapabilities = [capability.Replace("CAP_", "", StringComparison.Ordinal)];
        options.AllowedImages.RemoveAt(0); // the sound policy's nginx entry relies on the opt-ins replaced here
        Assert.Empty(options.Problems());
    }

    [Theory]
    [InlineData("NET_BIND_SERVICE")]
    [InlineData("CAP_NET_BIND_SERVICE")]
    public void Net_bind_service_needs_no_opt_in(string capability)
    {
        var options = WithEntry(new AllowedImage { Image = "redis:7", Capabilities = [capability] });
        options.AllowedCapabilities = null;
        Assert.DoesNotContain(options.Problems(), p => p.Contains("redis:7", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("SYS_ADMIN")]
    [InlineData("CAP_SYS_ADMIN")]
    [InlineData("NET_ADMIN")]
    [InlineData("NET_RAW")]
    [InlineData("MKNOD")]
    [InlineData("SETPCAP")]
    [InlineData("SYS_PTRACE")]
    [InlineData("ALL")]
    [InlineData("NOT_A_CAPABILITY")]
    public void The_opt_in_list_never_holds_a_capability_outside_docker_s_tame_defaults(string capability)
    {
        var options = Sound();
        options.AllowedCapabilities = [capability];
        options.AllowedImages.RemoveAt(0);
        var problem = Assert.Single(options.Problems());
        Assert.Contains($"Policy:AllowedCapabilities: {capability} is never granted", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chown")]
    [InlineData("CHOWN,SYS_ADMIN")]
    [InlineData("")]
    public void A_garbage_name_in_the_opt_in_list_is_refused(string capability)
    {
        var options = Sound();
        options.AllowedCapabilities = [capability];
        options.AllowedImages.RemoveAt(0);
        var problem = Assert.Single(options.Problems());
        Assert.Contains("is not a capability name", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_opted_in_capability_that_is_never_granted_stays_refused_in_an_entry()
    {
        var options = WithEntry(new AllowedImage { Image = "redis:7", Capabilities = ["SYS_ADMIN"] });
        options.AllowedCapabilities = ["SYS_ADMIN"];
        Assert.Contains(options.Problems(), p => p.Contains("'redis:7': capability SYS_ADMIN is never granted", StringComparison.Ordinal));
    }

    // --- file system ---

    [Theory]
    [InlineData("")]
    [InlineData("5m")]
    [InlineData("lots")]
    [InlineData("-64m")]
    public void A_bad_tmpfs_size_is_reported(string size)
    {
        var problem = Assert.Single(WithEntry(new AllowedImage { Image = "redis:7", TmpfsSize = size }).Problems());
        Assert.Contains("TmpfsSize", problem, StringComparison.Ordinal);
    }
}
