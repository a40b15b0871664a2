using Docker.DotNet;

namespace Messaging.ComposeTests;

/// <summary>The stack builds and starts from docker-compose.yml and .env.example, and every service becomes healthy.</summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
public sealed class BringUpTests(ComposeStack stack)
{
    /// <summary>No registry is reachable: the public base images are local stand-ins (infra/compose-images.sh).</summary>
    [Fact]
    public async Task The_base_images_and_the_NuGet_feed_are_on_this_machine()
    {
        foreach (var variable in new[] { "SDK_IMAGE", "ASPNET_IMAGE", "RUNTIME_IMAGE", "RABBITMQ_IMAGE", "REDIS_IMAGE", "ALLOWED_IMAGE" })
        {
            var image = stack.EnvValues[variable];
            try
            {
                await stack.Docker.Images.InspectImageAsync(image);
            }
            catch (DockerImageNotFoundException)
            {
                Assert.Fail($"{variable}={image} is not on this machine: run infra/compose-images.sh and infra/build-test-images.sh");
            }
        }
        if (stack.NugetSource == "/nuget-feed")
        {
            var feed = Path.Combine(Messaging.Testing.TestPaths.SolutionDirectory, "infra", "compose", "nuget-feed");
            Assert.True(Directory.Exists(feed) && Directory.EnumerateFiles(feed, "*.nupkg", SearchOption.AllDirectories).Any(),
                $"{feed} holds no packages: run infra/compose-images.sh");
        }
    }

    [Fact]
    public void The_compose_file_with_the_env_file_passes_config_check() => Assert.True(stack.Config.Succeeded, stack.Config.Detail);

    [Fact]
    public void Up_with_build_succeeds() => Assert.True(stack.Up.Succeeded, stack.Up.Detail);

    [Theory]
    [InlineData("rabbitmq")]
    [InlineData("redis")]
    [InlineData("api")]
    [InlineData("worker")]
    [InlineData("audit")]
    [InlineData("edge-proxy")]
    [InlineData("edge")]
    public void The_service_becomes_healthy(string service) => Assert.True(stack.Health[service].Succeeded, stack.Health[service].Detail);
}
