using System.Net.Http.Headers;
using MassTransit;
using MassTransit.Testing;
using Messaging.Api.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Messaging.State.Tokens;
using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.Api.Tests;

/// <summary>
/// The real API on MassTransit's in-memory harness (no broker) and real Redis under its own key prefix.
/// </summary>
public class ApiApplication : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminToken = "admin-token-for-tests-0123456789abcdef";
    public const string AliceToken = "alice-token-0123456789abcdef0123456789";
    public const string BobToken = "bob-token-0123456789abcdef0123456789ab";
    public const string ReaderToken = "reader-token-0123456789abcdef012345678";
    /// <summary>A token with the builds scope only (issue 17).</summary>
    public const string BuilderToken = "builder-token-0123456789abcdef0123456";

    public string KeyPrefix { get; } = $"test:{Guid.NewGuid():N}:";

    protected virtual bool UseHarness => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Redis:Configuration", TestEnvironment.Redis);
        builder.UseSetting("Redis:KeyPrefix", KeyPrefix);
        builder.UseSetting("Auth:BootstrapToken", AdminToken);
        builder.UseSetting("RateLimits:RequestsPerSecond", "100000");
        builder.UseSetting("RateLimits:Burst", "100000");
        builder.UseSetting("RateLimits:FailedAuthenticationsPerMinute", "100000");
        // Long enough for an answer on a loaded machine (1 s was not, beside the integration tests in CI); only the two
        // tests of an unanswered request wait it out.
        builder.UseSetting("Publishing:LogsTimeout", "00:00:05");
        builder.UseSetting("Publishing:StatsTimeout", "00:00:05");
        builder.UseSetting("Publishing:NodesTimeout", "00:00:05");
        Configure(builder);
        if (UseHarness)
            builder.ConfigureTestServices(services => services.AddMassTransitTestHarness());
    }

    protected virtual void Configure(IWebHostBuilder builder)
    {
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        var tokens = host.Services.GetRequiredService<TokenStore>();
        Task.WaitAll(
            SeedToken(tokens, "alice", AliceToken, Scopes.ServicesRead, Scopes.ServicesWrite),
            SeedToken(tokens, "bob", BobToken, Scopes.ServicesRead, Scopes.ServicesWrite),
            SeedToken(tokens, "reader", ReaderToken, Scopes.ServicesRead),
            SeedToken(tokens, "builder", BuilderToken, Scopes.ImagesBuild));
        return host;
    }

    /// <summary>A token with a known secret, as the admin API would have made it.</summary>
    public static Task SeedToken(TokenStore tokens, string id, string token, params string[] scopes) =>
        tokens.SaveAsync(new TokenRecord
        {
            Id = id, Name = id, Scopes = scopes, Sha256 = Convert.ToHexString(TokenStore.Hash(token)), CreatedAt = DateTimeOffset.UtcNow,
        });

    public ITestHarness Harness => Services.GetRequiredService<ITestHarness>();
    public IDatabase Redis => Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    public HttpClient ClientWith(string? token)
    {
        var client = CreateClient();
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Writes a record as the worker would have, owned by <paramref name="owner"/>.</summary>
    public async Task<Guid> SeedService(string owner, string status, string? name = null)
    {
        var id = Guid.NewGuid();
        var store = Services.GetRequiredService<Messaging.State.ServiceRecordStore>();
        await store.SaveAsync(new Messaging.State.ServiceRecord
        {
            ServiceId = id, CommandId = Guid.NewGuid(), Name = name ?? $"seed-{id:N}"[..20], Image = "nginx:alpine", Owner = owner,
            Status = status, MemoryLimit = "128m", MemoryBytes = 128 << 20, CpuLimit = 0.5, ContainerId = "c0ffee",
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        return id;
    }

    public int PublishedCreateCommands => Harness.Published.Select<Messaging.Contracts.CreateService>().Count();

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await SystemCleanup.DeleteKeysAsync(Services.GetRequiredService<IConnectionMultiplexer>(), KeyPrefix);
        await DisposeAsync();
    }
}
