using Messaging.Stacks.Compose;
using Messaging.Stacks.Yaml;

namespace Messaging.UnitTests.Stacks;

/// <summary>
/// The compose subset refuses everything outside it with the path of the offending key. Every file under
/// Stacks/hostile/ says on its first line (<c># expect: PATH</c>) where it must be refused; an empty path is the file as a whole.
/// </summary>
public sealed class ComposeSubsetTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Stacks");

    public static TheoryData<string> HostileFiles() =>
        [.. Directory.GetFiles(Path.Combine(Folder, "hostile"), "*.yml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void A_hostile_file_is_refused_at_the_path_of_the_offending_key(string file)
    {
        var text = File.ReadAllText(Path.Combine(Folder, "hostile", file));
        var expected = text.Split('\n')[0] is var first && first.StartsWith("# expect:", StringComparison.Ordinal)
            ? first["# expect:".Length..].Trim()
            : throw new InvalidOperationException($"{file} does not say where it must be refused (# expect: PATH on its first line).");

        var result = ComposeSubset.Parse(text);

        Assert.False(result.IsValid, $"{file} was accepted");
        Assert.Null(result.Definition);
        Assert.Contains(result.Problems, p => p.Path == expected);
    }

    [Fact]
    public void There_are_at_least_40_hostile_files() => Assert.True(HostileFiles().Count >= 40);

    [Fact]
    public void A_file_over_64_KiB_is_refused_before_it_is_parsed()
    {
        var text = "services:\n  web:\n    image: nginx:alpine\n# " + new string('x', YamlLimits.MaxFileBytes) + "\n";
        var problem = Assert.Single(ComposeSubset.Parse(text).Problems);
        Assert.Equal("", problem.Path);
        Assert.Contains("64 KiB", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multibyte_text_is_measured_in_bytes_not_characters()
    {
        // 30,000 three-byte characters are 90,000 bytes.
        var text = "services:\n  web:\n    image: nginx:alpine\n# " + new string('€', 30_000) + "\n";
        Assert.Contains("64 KiB", Assert.Single(ComposeSubset.Parse(text).Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_past_the_limit_is_refused_without_recursing_on_it()
    {
        var text = "x-deep: " + new string('[', 20_000) + new string(']', 20_000) + "\nservices:\n  web:\n    image: nginx:alpine\n";
        var problem = Assert.Single(ComposeSubset.Parse(text).Problems);
        Assert.Contains("deeper", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_bomb_through_merge_keys_is_refused()
    {
        var lines = new List<string> { "x-0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}" };
        for (var i = 1; i < 8; i++)
            lines.Add($"x-{i}: &l{i} [{string.Join(",", Enumerable.Repeat($"*l{i - 1}", 10))}]");
        lines.Add("services:\n  web:\n    image: nginx:alpine\n    <<: *l7");
        var problem = Assert.Single(ComposeSubset.Parse(string.Join("\n", lines)).Problems);
        Assert.Contains("expands", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_within_the_limit_are_read_as_copies()
    {
        var text = "x-env: &env {A: \"1\"}\nservices:\n  web:\n    image: nginx:alpine\n    environment: *env\n  api:\n    image: nginx:alpine\n    environment: *env\n";
        var definition = ComposeSubset.Parse(text).Definition!;
        Assert.All(definition.Members, m => Assert.Equal("1", m.Environment["A"]));
    }

    [Fact]
    public void Problems_are_capped()
    {
        var services = string.Join("", Enumerable.Range(0, 19).Select(i => $"  s{i:00}:\n    image: nginx:alpine\n    privileged: true\n    pid: host\n"));
        Assert.Equal(ComposeSubset.MaxProblems, ComposeSubset.Parse("services:\n" + services).Problems.Count);
    }

    [Fact]
    public void More_than_the_most_members_is_refused()
    {
        var services = string.Join("", Enumerable.Range(0, ComposeSubset.MaxMembers + 1).Select(i => $"  s{i:00}:\n    image: nginx:alpine\n"));
        Assert.Equal("services", Assert.Single(ComposeSubset.Parse("services:\n" + services).Problems).Path);
    }

    [Fact]
    public void The_minimal_file_is_one_member_with_no_limits_so_the_image_defaults_apply()
    {
        var member = Assert.Single(Parse("minimal.yml").Members);
        Assert.Equal("web", member.Name);
        Assert.Equal("nginx:alpine", member.Image);
        Assert.Null(member.MemoryLimit);
        Assert.Null(member.CpuLimit);
        Assert.Null(member.InternalPort);
        Assert.False(member.IsPublic);
    }

    [Fact]
    public void Every_key_of_the_subset_is_read()
    {
        var definition = Parse("web-and-store.yml");
        Assert.Equal(["store", "web"], definition.Members.Select(m => m.Name));

        var store = definition.Members[0];
        Assert.Equal("messaging-test/kv:1", store.Image);
        Assert.Equal("64m", store.MemoryLimit); // from the merge key
        Assert.Equal(0.25, store.CpuLimit);
        Assert.Equal(6379, store.InternalPort);
        Assert.False(store.IsPublic);
        Assert.Equal(new StackHealthCheck(["CMD", "kv", "ping"], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 5, TimeSpan.FromSeconds(90)) with { Test = store.HealthCheck!.Test }, store.HealthCheck);
        Assert.Equal(["CMD", "kv", "ping"], store.HealthCheck.Test);

        var web = definition.Members[1];
        Assert.Same(web, definition.PublicMember);
        Assert.Equal(80, web.InternalPort);
        Assert.Equal(["httpd", "-f", "-p", "80"], web.Command!);
        Assert.Equal("store", web.Environment["STORE_HOST"]);
        Assert.Equal("hello=world", web.Environment["GREETING"]);
        Assert.Equal([new StackDependency("store", WaitForHealthy: true)], web.DependsOn);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    public void Health_check_durations_are_compose_durations(string text, int milliseconds)
    {
        var yaml = $"services:\n  db:\n    image: redis:7\n    healthcheck:\n      test: redis-cli ping\n      interval: {text}\n";
        var check = Assert.Single(ComposeSubset.Parse(yaml).Definition!.Members).HealthCheck!;
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), check.Interval);
        Assert.Equal(["CMD-SHELL", "redis-cli ping"], check.Test);
    }

    [Fact]
    public void A_disabled_health_check_is_none()
    {
        var yaml = "services:\n  db:\n    image: redis:7\n    healthcheck:\n      disable: true\n";
        Assert.Null(Assert.Single(ComposeSubset.Parse(yaml).Definition!.Members).HealthCheck);
    }

    private static StackDefinition Parse(string file)
    {
        var result = ComposeSubset.Parse(File.ReadAllText(Path.Combine(Folder, "valid", file)));
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        return result.Definition!;
    }
}
