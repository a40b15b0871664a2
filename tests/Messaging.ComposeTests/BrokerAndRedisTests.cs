using System.Net;
using System.Net.Http.Headers;

namespace Messaging.ComposeTests;

/// <summary>The broker's management UI answers the operator's user; Redis keeps an append-only file and is not published.</summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
public sealed class BrokerAndRedisTests(ComposeStack stack)
{
    [Fact]
    public async Task The_management_UI_answers_the_configured_user_on_its_published_port()
    {
        stack.RequireHealthy();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{ComposeStack.RabbitUser}:{stack.RabbitPassword}")));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{stack.ManagementPort}/api/overview")).StatusCode);
    }

    /// <summary>Asked as the audit host's user (INFO is every process's; CONFIG nobody's, and the default user is off).</summary>
    [Fact]
    public async Task Redis_runs_append_only()
    {
        var result = await Commands.ExecAsync(stack.ContainerOf("redis"), "redis-cli", "--no-auth-warning", "--user", ComposeStack.ProcessUser("audit"),
            "--pass", stack.Secret("redis-audit-password"), "info", "persistence");
        Assert.True(result.Succeeded, result.Text);
        Assert.Contains("aof_enabled:1", result.Text.Split('\n').Select(line => line.Trim()));
    }

    [Fact]
    public async Task Redis_is_not_published_on_the_host() =>
        IsolationTests.AssertNotPublished(await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf("redis")));
}
