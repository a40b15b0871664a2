using Messaging.Validation;

namespace Messaging.UnitTests;

public class ImageReferenceTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static ImageReference Parse(string text)
    {
        Assert.True(ImageReference.TryParse(text, out var reference), $"'{text}' should parse");
        return reference;
    }

    [Fact]
    public void Short_name_and_fully_qualified_name_are_the_same_image()
    {
        Assert.Equal(Parse("docker.io/library/nginx:alpine"), Parse("nginx:alpine"));
        Assert.Equal("docker.io/library/nginx:alpine", Parse("nginx:alpine").Canonical);
    }

    [Theory]
    [InlineData("nginx:alpine", "docker.io/library/nginx:alpine")]
    [InlineData("nginx", "docker.io/library/nginx:latest")]
    [InlineData("library/nginx:alpine", "docker.io/library/nginx:alpine")]
    [InlineData("docker.io/nginx:alpine", "docker.io/library/nginx:alpine")]
    [InlineData("index.docker.io/library/nginx:alpine", "docker.io/library/nginx:alpine")]
    [InlineData("registry-1.docker.io/library/nginx:alpine", "docker.io/library/nginx:alpine")]
    [InlineData("user/app:1", "docker.io/user/app:1")]
    [InlineData("user/app", "docker.io/user/app:latest")]
    [InlineData("registry.example.com:5000/team/app:2", "registry.example.com:5000/team/app:2")]
    [InlineData("registry.example.com/app", "registry.example.com/app:latest")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("localhost:5000/app:dev", "localhost:5000/app:dev")]
    [InlineData("nginx:1.27.0-Alpine_3", "docker.io/library/nginx:1.27.0-Alpine_3")]
    [InlineData("my_app__x-y/sub--part.v2:v1", "docker.io/my_app__x-y/sub--part.v2:v1")]
    [InlineData("my.registry/app", "my.registry/app:latest")]
    [InlineData("nginx@" + Digest, "docker.io/library/nginx@" + Digest)]
    [InlineData("nginx:alpine@" + Digest, "docker.io/library/nginx:alpine@" + Digest)]
    [InlineData("registry.example.com:5000/team/app@" + Digest, "registry.example.com:5000/team/app@" + Digest)]
    public void References_are_normalised_like_the_engine_does(string text, string canonical)
    {
        var reference = Parse(text);
        Assert.Equal(canonical, reference.Canonical);
        Assert.Equal(canonical, reference.ToString());
    }

    [Fact]
    public void Parts_of_a_short_name_are_registry_library_repository_and_tag()
    {
        var reference = Parse("nginx:alpine");
        Assert.Equal("docker.io", reference.Registry);
        Assert.Equal("library/nginx", reference.Repository);
        Assert.Equal("alpine", reference.Tag);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void A_registry_with_a_port_is_kept_and_not_mistaken_for_a_tag()
    {
        var reference = Parse("registry.example.com:5000/team/app:2");
        Assert.Equal("registry.example.com:5000", reference.Registry);
        Assert.Equal("team/app", reference.Repository);
        Assert.Equal("2", reference.Tag);
    }

    [Fact]
    public void A_registry_of_localhost_is_kept_without_a_library_prefix()
    {
        var reference = Parse("localhost/app");
        Assert.Equal("localhost", reference.Registry);
        Assert.Equal("app", reference.Repository);
    }

    [Fact]
    public void A_digest_without_a_tag_does_not_imply_latest()
    {
        var reference = Parse("nginx@" + Digest);
        Assert.Null(reference.Tag);
        Assert.Equal(Digest, reference.Digest);
        Assert.Equal("docker.io/library/nginx", reference.CanonicalWithoutDigest);
    }

    [Fact]
    public void CanonicalWithoutDigest_drops_only_the_digest()
    {
        var reference = Parse("nginx:alpine@" + Digest);
        Assert.Equal("alpine", reference.Tag);
        Assert.Equal(Digest, reference.Digest);
        Assert.Equal("docker.io/library/nginx:alpine", reference.CanonicalWithoutDigest);
    }

    [Theory]
    [InlineData("nginx:alpine")]
    [InlineData("nginx")]
    [InlineData("user/app:1")]
    [InlineData("registry.example.com:5000/team/app:2")]
    [InlineData("localhost/app")]
    [InlineData("index.docker.io/library/nginx:alpine")]
    [InlineData("nginx:alpine@" + Digest)]
    [InlineData("nginx@" + Digest)]
    [InlineData("Registry.Example.com/team/app:2")]
    public void Canonical_form_parses_back_to_itself(string text)
    {
        var canonical = Parse(text).Canonical;
        Assert.Equal(canonical, Parse(canonical).Canonical);
    }

    [Theory]
    [InlineData("Docker.io/nginx:alpine")]
    [InlineData("INDEX.DOCKER.IO/library/nginx:alpine")]
    public void A_docker_hub_registry_in_upper_case_normalises_like_the_lower_case_one(string text)
    {
        var reference = Parse(text);
        Assert.Equal("docker.io/library/nginx:alpine", reference.Canonical);
        Assert.Equal(reference.Canonical, Parse(reference.Canonical).Canonical);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("NGINX")]
    [InlineData("Nginx:alpine")]
    [InlineData("user/App:1")]
    [InlineData("registry.example.com/Team/app")]
    [InlineData("nginx:")]
    [InlineData(":tag")]
    [InlineData("nginx alpine")]
    [InlineData(" nginx")]
    [InlineData("nginx ")]
    [InlineData("../etc/passwd")]
    [InlineData("nginx/../../etc")]
    [InlineData("/nginx")]
    [InlineData("nginx/")]
    [InlineData("nginx//alpine")]
    [InlineData("nginx:alpine;rm -rf /")]
    [InlineData("nginx:alpine && curl x")]
    [InlineData("nginx:-alpine")]
    [InlineData("nginx:.alpine")]
    [InlineData("nginx:al/pine")]
    [InlineData("nginx@sha256:short")]
    [InlineData("nginx@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("nginx@md5:0123456789abcdef0123456789abcdef")]
    [InlineData("nginx@" + Digest + "\n")]
    [InlineData("nginx:alpine\n")]
    [InlineData("nginx:alpine\r\n")]
    [InlineData("nginx\n:alpine")]
    [InlineData("-nginx")]
    [InlineData("nginx-")]
    [InlineData("nginx___x")]
    [InlineData("ｎｇｉｎｘ")]
    public void Malformed_references_are_rejected(string? text)
    {
        Assert.False(ImageReference.TryParse(text, out var reference));
        Assert.Null(reference);
    }

    [Fact]
    public void A_300_character_name_is_rejected()
    {
        Assert.False(ImageReference.TryParse(new string('a', 300), out _));
        Assert.False(ImageReference.TryParse(new string('a', 300) + ":alpine", out _));
    }

    [Fact]
    public void A_tag_of_more_than_128_characters_is_rejected()
    {
        Assert.True(ImageReference.TryParse("nginx:" + new string('t', 128), out _));
        Assert.False(ImageReference.TryParse("nginx:" + new string('t', 129), out _));
    }

    [Fact]
    public void The_limit_is_255_characters_of_input()
    {
        Assert.Equal(255, ImageReference.MaxLength);
        Assert.True(ImageReference.TryParse(new string('a', 255), out _));
        Assert.False(ImageReference.TryParse(new string('a', 256), out _));
    }
}
