using Messaging.Worker.Builds;

namespace Messaging.UnitTests.Builds;

/// <summary>The .dockerignore rules as the Docker CLI applies them (moby's patternmatcher).</summary>
public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]          // '*' stays in its component, anchored at the root
    [InlineData("**/*.md", "docs/deep/README.md", true)]
    [InlineData("**/*.md", "README.md", true)]             // '**/' also matches no directory
    [InlineData("notes", "notes/a/b.txt", true)]           // a directory takes everything under it
    [InlineData("/secrets", "secrets/key", true)]          // a leading '/' is the root
    [InlineData("./build", "build/out", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    [InlineData("file[0-9].txt", "file7.txt", true)]
    [InlineData("file[!0-9].txt", "filex.txt", true)]
    [InlineData("# comment", "# comment", false)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    public void A_pattern_matches_as_docker_build_would(string pattern, string path, bool ignored)
    {
        Assert.Equal(ignored, new DockerIgnore([pattern]).IsIgnored(path));
    }

    [Fact]
    public void The_last_matching_line_decides_and_an_exclamation_mark_takes_a_path_back()
    {
        var ignore = new DockerIgnore(["*.log", "!keep.log", "", "   # comment"]);
        Assert.True(ignore.IsIgnored("debug.log"));
        Assert.False(ignore.IsIgnored("keep.log"));
        Assert.True(ignore.HasExclusions);
        Assert.True(new DockerIgnore(["!keep.log", "*.log"]).IsIgnored("keep.log"));
    }
}
