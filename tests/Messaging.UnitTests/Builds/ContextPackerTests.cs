using System.Diagnostics;
using System.Formats.Tar;
using Messaging.Worker.Builds;

namespace Messaging.UnitTests.Builds;

/// <summary>
/// What the worker sends as a build context: only files, directories and symlinks that stay inside, under the size
/// cap, without what .dockerignore leaves out; and the same content always gives the same digest.
/// </summary>
public sealed class ContextPackerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("messaging-context-").FullName;

    public ContextPackerTests()
    {
        File.WriteAllText(Path.Combine(_root, "Dockerfile"), "FROM scratch\nCOPY . /\n");
        Directory.CreateDirectory(Path.Combine(_root, "site"));
        File.WriteAllText(Path.Combine(_root, "site", "index.html"), "<h1>hi</h1>");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private PackedContext Pack(long max = 1 << 20) => ContextPacker.Pack(_root, "Dockerfile", max);

    private static List<string> Names(PackedContext packed)
    {
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(packed.Tar));
        while (reader.GetNextEntry() is { } entry)
            names.Add(entry.Name);
        return names;
    }

    [Fact]
    public void A_plain_context_is_packed_in_name_order_with_its_dockerfile()
    {
        var packed = Pack();
        Assert.Equal(["Dockerfile", "site/", "site/index.html"], Names(packed));
    }

    [Fact]
    public void A_symlink_to_etc_shadow_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "site", "shadow"), "/etc/shadow");
        var refused = Assert.Throws<ContextRefusedException>(() => Pack());
        Assert.Contains("site/shadow", refused.Message);
    }

    [Fact]
    public void A_relative_symlink_climbing_out_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "site", "up"), "../../../../etc/passwd");
        Assert.Throws<ContextRefusedException>(() => Pack());
    }

    [Fact]
    public void A_symlinked_directory_leading_out_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "etc"), "/etc");
        Assert.Throws<ContextRefusedException>(() => Pack());
    }

    [Fact]
    public void A_symlink_inside_the_context_is_sent_as_a_link()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "site", "home.html"), "index.html");
        Assert.Contains("site/home.html", Names(Pack()));
    }

    [Fact]
    public void A_fifo_is_refused_without_being_opened()
    {
        Process.Start("mkfifo", Path.Combine(_root, "pipe"))!.WaitForExit();
        var refused = Assert.Throws<ContextRefusedException>(() => Pack());
        Assert.Contains("Fifo", refused.Message);
    }

    [Fact]
    public void A_context_over_its_size_cap_is_refused()
    {
        File.WriteAllBytes(Path.Combine(_root, "big.bin"), new byte[2048]);
        Assert.Throws<ContextRefusedException>(() => Pack(max: 1024));
    }

    [Fact]
    public void A_missing_dockerfile_is_refused()
    {
        File.Delete(Path.Combine(_root, "Dockerfile"));
        Assert.Throws<ContextRefusedException>(() => Pack());
    }

    [Fact]
    public void What_dockerignore_names_is_left_out_even_a_refused_symlink_and_an_oversized_file()
    {
        Directory.CreateDirectory(Path.Combine(_root, "notes"));
        File.WriteAllBytes(Path.Combine(_root, "notes", "big.bin"), new byte[4096]);
        File.CreateSymbolicLink(Path.Combine(_root, "notes", "shadow"), "/etc/shadow");
        File.WriteAllText(Path.Combine(_root, "README.md"), "docs");
        File.WriteAllText(Path.Combine(_root, ".dockerignore"), "notes\n*.md\nDockerfile\n");
        var names = Names(Pack(max: 1024));
        Assert.Equal([".dockerignore", "Dockerfile", "site/", "site/index.html"], names); // the Dockerfile is always sent
    }

    [Fact]
    public void The_same_content_gives_the_same_digest_and_other_content_another()
    {
        var first = Pack().ContentDigest;
        File.SetLastWriteTimeUtc(Path.Combine(_root, "site", "index.html"), DateTime.UtcNow.AddDays(-3));
        Assert.Equal(first, Pack().ContentDigest);
        File.WriteAllText(Path.Combine(_root, "site", "index.html"), "<h1>changed</h1>");
        Assert.NotEqual(first, Pack().ContentDigest);
    }
}
