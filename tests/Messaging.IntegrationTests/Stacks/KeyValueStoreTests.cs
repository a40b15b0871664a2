using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.IntegrationTests.Stacks;

/// <summary>
/// The shipped key-value store (infra/images/kv, allowlist entry 1) through its templates, on the real engine: a value
/// stored is a value read back, only with the generated token, from the host through the published port and from the
/// web member of web-and-store version 2 through the stack's network.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class KeyValueStoreTests(SystemFixture system)
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..14];

    [Fact]
    public async Task The_kv_store_template_stores_and_returns_a_value_for_its_token_only()
    {
        using var api = system.Api();
        var response = await api.PostAsJsonAsync("/api/v1/services", new { service_name = UniqueName("kv"), template = "kv-store" });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var serviceId = body.GetProperty("service_id").GetGuid();
        var token = body.GetProperty("generated_secrets").GetProperty("store_token").GetString()!;
        var created = await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == serviceId, TimeSpan.FromSeconds(60));
        Assert.Equal("messaging-test/kv:latest", created.Image);

        // ServiceCreated says the container started, not that its httpd listens yet.
        (await ServingPort.GetAsync(created.HostPort)).Dispose();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{created.HostPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        var value = $"stored at {DateTimeOffset.UtcNow:O}\nsecond line";
        var stored = await http.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Post, "cgi-bin/kv/greeting") { Content = new StringContent(value) }, token));
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);

        var read = await http.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Get, "cgi-bin/kv/greeting"), token));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(value, await read.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Get, "cgi-bin/kv/absent"), token))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("cgi-bin/kv/greeting")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Get, "cgi-bin/kv/greeting"), "not-the-token"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Get, "cgi-bin/kv/.hidden"), token))).StatusCode);

        // The allowlist entry's hardening applies: non-root, read-only root, the values in a size-limited tmpfs.
        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.Equal("101:101", inspect.Config!.User);
        Assert.True(inspect.HostConfig!.ReadonlyRootfs);
        Assert.Contains("/data", inspect.HostConfig.Tmpfs!.Keys);

        Assert.Equal(HttpStatusCode.Accepted, (await api.DeleteAsync($"/api/v1/services/{serviceId}")).StatusCode);
        await system.Events.WaitFor<ServiceRemoved>(e => e.ServiceId == serviceId);
    }

    [Fact]
    public async Task The_web_of_web_and_store_version_2_stores_and_reads_a_value_in_its_store_by_name()
    {
        using var api = system.Api();
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new { name = UniqueName("kv-st"), template = "web-and-store", version = 2 });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var stackId = body.GetProperty("stack_id").GetGuid();
        var token = body.GetProperty("generated_secrets").GetProperty("store_token").GetString()!;
        var created = await system.Events.WaitFor<StackCreated>(e => e.StackId == stackId, TimeSpan.FromSeconds(90));

        var storeId = Assert.Single(created.Members, m => m.Member == "store").ServiceId;
        Assert.Equal("messaging-test/kv:latest", (await system.WorkerServices.GetRequiredService<ServiceRecordStore>().GetAsync(storeId))!.Image);
        var webId = Assert.Single(created.Members, m => m.Member == "web").ServiceId;
        var web = (await system.WorkerServices.GetRequiredService<ServiceRecordStore>().GetAsync(webId))!.ContainerId!;
        // The web's environment says where the store is and with which token (STORE_URL, STORE_TOKEN): use them as an
        // app would. The static busybox cannot use the C library's resolver, so nslookup finds the address.
        var (exit, output) = await DockerExec.RunAsync(web, "sh", "-c", """
            ip=$(nslookup store 2>/dev/null | awk '/^Address/ && !/:53$/ {a=$NF} END {print a}')
            url=$(echo "$STORE_URL" | sed "s#//store/#//$ip/#")
            wget -q -O /dev/null --header "X-Store-Token: $STORE_TOKEN" --post-data "from the web" "${url}visits" &&
            wget -q -O - --header "X-Store-Token: $STORE_TOKEN" "${url}visits"
            """);
        Assert.True(exit == 0, output);
        Assert.Equal("from the web", output);
        Assert.Equal(token, await EnvOf(web, "STORE_TOKEN"));

        Assert.Equal(HttpStatusCode.Accepted, (await api.DeleteAsync($"/api/v1/stacks/{stackId}")).StatusCode);
        await system.Events.WaitFor<StackRemoved>(e => e.StackId == stackId);
    }

    private static HttpRequestMessage WithToken(HttpRequestMessage request, string token)
    {
        request.Headers.Add("X-Store-Token", token);
        return request;
    }

    private async Task<string?> EnvOf(string containerId, string name)
    {
        var inspect = await system.Docker.Containers.InspectContainerAsync(containerId);
        return inspect.Config!.Env.Select(e => e.Split('=', 2)).Where(p => p[0] == name).Select(p => p[1]).SingleOrDefault();
    }

}
