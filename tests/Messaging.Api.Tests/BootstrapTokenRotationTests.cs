using System.Net;
using Microsoft.AspNetCore.Hosting;

namespace Messaging.Api.Tests;

/// <summary>The bootstrap token read from a file (a Docker secret), in a host of its own.</summary>
public sealed class FileBootstrapApiApplication : ApiApplication
{
    public const string FirstToken = "first-bootstrap-token-0123456789abcdef01";
    public const string RotatedToken = "rotated-bootstrap-token-0123456789abcdef";

    public string TokenFile { get; } = Path.Combine(Path.GetTempPath(), $"messaging-bootstrap-{Guid.NewGuid():N}");

    protected override void Configure(IWebHostBuilder builder)
    {
        File.WriteAllText(TokenFile, FirstToken + "\n");
        builder.UseSetting("Auth:BootstrapToken", "");
        builder.UseSetting("Auth:BootstrapTokenFile", TokenFile);
    }

    public override async ValueTask DisposeAsync()
    {
        File.Delete(TokenFile);
        await base.DisposeAsync();
    }
}

[Trait("Requires", "Redis")]
public sealed class BootstrapTokenRotationTests(FileBootstrapApiApplication app) : IClassFixture<FileBootstrapApiApplication>
{
    [Fact]
    public async Task Writing_a_new_token_into_the_file_rotates_the_bootstrap_token_without_a_restart()
    {
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWith(FileBootstrapApiApplication.FirstToken).GetAsync("/api/v1/tokens")).StatusCode);

        await File.WriteAllTextAsync(app.TokenFile, FileBootstrapApiApplication.RotatedToken + "\n");
        File.SetLastWriteTimeUtc(app.TokenFile, DateTime.UtcNow.AddSeconds(5)); // a coarse file system may not see the change otherwise

        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode rotated;
        do
        {
            await Task.Delay(200);
            rotated = (await app.ClientWith(FileBootstrapApiApplication.RotatedToken).GetAsync("/api/v1/tokens")).StatusCode;
        }
        while (rotated != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, rotated);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(FileBootstrapApiApplication.FirstToken).GetAsync("/api/v1/tokens")).StatusCode);
    }
}
