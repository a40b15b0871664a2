using Messaging.Worker.Policy;
using Microsoft.Extensions.Configuration;

namespace Messaging.UnitTests;

/// <summary>
/// The policy as the worker binds it from configuration. The configuration binder appends configured items to a list
/// it finds already filled, so defaults living in list initializers could only ever be added to: these tests show a
/// configured list is taken exactly as written, and the defaults apply only when nothing is configured.
/// </summary>
public class ImagePolicyBindingTests
{
    private static ImagePolicyOptions Bind(IDictionary<string, string?> settings) =>
        Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static ImagePolicyOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(ImagePolicyOptions.Section).Get<ImagePolicyOptions>()!;

    private static ImagePolicyOptions Bind(params (string Key, string Value)[] entry0) =>
        Bind(new Dictionary<string, string?>(entry0.Select(s => KeyValuePair.Create("Policy:AllowedImages:0:" + s.Key, (string?)s.Value)))
        {
            ["Policy:AllowedImages:0:Image"] = "nginx:alpine",
        });

    [Fact]
    public void An_entry_that_lists_no_capabilities_gets_net_bind_service_only()
    {
        Assert.Equal(["NET_BIND_SERVICE"], Bind(("User", "101:101")).AllowedImages[0].GrantedCapabilities());
    }

    [Fact]
    public void Configured_capabilities_replace_the_default_instead_of_adding_to_it()
    {
        var entry = Bind(("Capabilities:0", "CHOWN")).AllowedImages[0];
        Assert.Equal(["CHOWN"], entry.GrantedCapabilities());
    }

    [Fact]
    public void An_entry_that_lists_no_tmpfs_gets_a_bounded_tmp_on_a_read_only_root()
    {
        var entry = Bind(("User", "101:101")).AllowedImages[0];
        Assert.True(entry.ReadOnlyRootfs);
        Assert.Equal(["/tmp"], entry.TmpfsPaths());
        Assert.Equal("64m", entry.TmpfsSize);
    }

    [Fact]
    public void Configured_tmpfs_paths_replace_the_default_instead_of_adding_to_it()
    {
        var entry = Bind(("Tmpfs:0", "/run")).AllowedImages[0];
        Assert.Equal(["/run"], entry.TmpfsPaths());
    }

    [Fact]
    public void A_writable_root_must_be_configured_explicitly()
    {
        Assert.False(Bind(("ReadOnlyRootfs", "false")).AllowedImages[0].ReadOnlyRootfs);
    }

    /// <summary>The binder leaves a list null for <c>[]</c>, so an empty list cannot take the default away (documented).</summary>
    [Fact]
    public void An_empty_capability_list_in_json_keeps_the_default()
    {
        var options = Bind(Json("""{"Policy":{"AllowedImages":[{"Image":"nginx:alpine","User":"101:101","Capabilities":[]}]}}"""));
        Assert.Equal(["NET_BIND_SERVICE"], options.AllowedImages[0].GrantedCapabilities());
    }

    [Fact]
    public void The_operator_s_opt_in_list_is_taken_as_configured()
    {
        var options = Bind(new Dictionary<string, string?> { ["Policy:AllowedCapabilities:0"] = "KILL" });
        Assert.Equal(["KILL"], options.AllowedCapabilities);
    }

    [Fact]
    public void The_shipped_allowlist_is_sound_and_runs_nginx_as_a_non_root_user_with_net_bind_service_only()
    {
        var options = Bind(Json(File.ReadAllText(ShippedSettings())));

        Assert.Empty(options.Problems());
        Assert.Equal(["nginx:alpine", "messaging-test/kv:latest"], options.AllowedImages.Select(e => e.Image));
        var entry = options.AllowedImages[0];
        Assert.Equal("101:101", entry.ContainerUser());
        Assert.False(entry.RunAsRoot);
        Assert.Equal(["NET_BIND_SERVICE"], entry.GrantedCapabilities());
        Assert.True(entry.ReadOnlyRootfs);
        Assert.Equal(["/tmp", "/var/cache/nginx", "/var/run"], entry.TmpfsPaths());
        Assert.Empty(options.AllowedCapabilities ?? []);
    }

    [Fact]
    public void The_shipped_key_value_store_runs_non_root_on_a_read_only_root_and_keeps_its_values_in_a_tmpfs()
    {
        var entry = Bind(Json(File.ReadAllText(ShippedSettings()))).AllowedImages.Single(e => e.Image == "messaging-test/kv:latest");

        Assert.Equal("101:101", entry.ContainerUser());
        Assert.Equal(["NET_BIND_SERVICE"], entry.GrantedCapabilities());
        Assert.True(entry.ReadOnlyRootfs);
        Assert.Equal(["/tmp", "/data"], entry.TmpfsPaths());
        Assert.Equal("/health", entry.HealthCheck?.Path);
    }

    private static IConfiguration Json(string json)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return new ConfigurationBuilder().AddJsonStream(stream).Build();
    }

    private static string ShippedSettings()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            directory = directory.Parent;
        return Path.Combine(directory!.FullName, "src", "Messaging.Worker", "appsettings.json");
    }
}
