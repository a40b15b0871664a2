using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.State;
using Messaging.State.Pools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard's admin view in a real browser against the whole system: capacity and free ports as
/// <c>GET /api/v1/capacity</c> gives them (the running worker's report and the reservations in Redis), the warm pools,
/// and a webhook subscribed in the page whose delivery (by the real audit host, of a real worker event) shows its state.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DashboardAdminTests(SystemFixture system, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    [Fact]
    public async Task An_admin_sees_capacity_free_ports_and_the_warm_pools_as_the_API_gives_them()
    {
        using var admin = system.Api();
        var keys = new RedisKeys(system.KeyPrefix);
        await system.Redis.KeyDeleteAsync(keys.PoolSummary); // this fixture runs no pools: nothing reported
        var before = await admin.GetFromJsonAsync<JsonElement>("/api/v1/capacity");
        Assert.True(before.GetProperty("reported").GetBoolean(), "the worker reported no capacity");

        await using var tab = await browser.OpenAsync(system.ApiAddress);
        var page = tab.Page;
        await tab.SignInAsync(SystemFixture.Token);
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true }).ClickAsync();

        await ExpectFigure(page, "#ports-size", SystemFixture.PortMax - SystemFixture.PortMin + 1);
        Assert.Equal(before.GetProperty("ports").GetProperty("size").GetInt32(), await Figure(page, "#ports-size"));
        Assert.Equal(before.GetProperty("host").GetProperty("memory_bytes").GetInt64(), await Figure(page, "#host-memory-total"));
        Assert.Equal(before.GetProperty("host").GetProperty("cpus").GetDouble(), await Figure(page, "#host-cpus-total"));
        // Counts that move with the services of other tests: the page's figure is the API's, read before or after it.
        var after = await admin.GetFromJsonAsync<JsonElement>("/api/v1/capacity");
        foreach (var (selector, field) in new[] { ("#ports-reserved", "reserved"), ("#ports-free", "free") })
            Assert.Contains(await Figure(page, selector), new[] { before, after }.Select(c => (double)c.GetProperty("ports").GetProperty(field).GetInt64()));
        await Expect(page.Locator("#pools")).ToContainTextAsync("No warm pools reported");
        // GET /api/v1/nodes: a table where the API has it, else a line saying it does not.
        var nodes = await admin.GetAsync("/api/v1/nodes");
        if (nodes.StatusCode == HttpStatusCode.NotFound)
            await Expect(page.Locator("#nodes")).ToContainTextAsync("does not list nodes");
        else
        {
            var listed = (await nodes.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("nodes").EnumerateArray().ToList();
            Assert.NotEmpty(listed);
            await Expect(page.Locator("#nodes tr[data-node-id]")).ToHaveCountAsync(listed.Count);
            await Expect(page.Locator($"#nodes tr[data-node-id='{listed[0].GetProperty("id").GetString()}']"))
                .ToContainTextAsync(listed[0].GetProperty("hostname").GetString()!);
        }
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        // The pools as a worker with pools on reports them (its keeper's summary), read again with the view.
        await system.WorkerServices.GetRequiredService<PoolState>().WriteSummaryAsync("""
            {"updated_at":"2026-12-03T04:00:00+00:00","budget":{"max_members":8,"members":3},
             "pools":[{"name":"nginx-alpine-64m-0.25","image":"nginx:alpine","memory_bytes":67108864,"cpus":0.25,"size":3,
                       "max_idle_seconds":1800,"idle":2,"warming":1,"hits":7,"misses":1}]}
            """, TimeSpan.FromMinutes(1));
        await page.GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true }).ClickAsync();
        var pool = page.Locator("tr[data-pool='nginx-alpine-64m-0.25']");
        await Expect(pool.Locator("[data-cell=idle]")).ToHaveTextAsync("2");
        await ExpectFigure(page, "#pool-max-members", 8);
        await ExpectFigure(page, "#pool-members", 3);
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());
        await system.Redis.KeyDeleteAsync(keys.PoolSummary);
    }

    [Fact]
    public async Task A_webhook_subscribed_in_the_page_shows_how_its_delivery_ended()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 204);
        await using var tab = await browser.OpenAsync(system.ApiAddress);
        var page = tab.Page;
        await tab.SignInAsync(SystemFixture.Token);
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true }).ClickAsync();

        // A URL the API refuses shows at its field.
        await page.GetByLabel("URL", new() { Exact = true }).FillAsync("ftp://example.test/hook");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await Expect(page.Locator("#webhook-url-error")).Not.ToBeEmptyAsync();

        await page.GetByLabel("URL", new() { Exact = true }).FillAsync(receiver.Url);
        await page.GetByLabel("Event types (comma-separated; empty: all)").FillAsync("ServiceCreationFailed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await Expect(page.GetByLabel("Signing secret (shown once)")).Not.ToHaveValueAsync("");
        var row = page.Locator("tr[data-webhook-id]", new() { HasText = receiver.Url });
        await Expect(row.Locator("[data-cell=last-delivery]")).ToHaveTextAsync("none yet");

        // A real event: the worker refuses an image off the allowlist; the audit host delivers the event to the receiver.
        using var alice = system.Api(SystemFixture.AliceToken);
        var name = $"dash-hook-{Guid.NewGuid():N}"[..20];
        (await alice.PostAsJsonAsync("/api/v1/services", new { service_name = name, image = "ubuntu:latest" })).EnsureSuccessStatusCode();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!receiver.Received.Any(r => r.EventType == "ServiceCreationFailed" && System.Text.Encoding.UTF8.GetString(r.Body).Contains(name)) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.True(DateTime.UtcNow < deadline, "the receiver got no delivery");

        // Its outcome is recorded after the receiver answered: open the deliveries until it shows (the list re-reads too).
        var deliveries = page.Locator("ul.deliveries");
        var shown = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await row.GetByRole(AriaRole.Button, new() { Name = $"Deliveries to {receiver.Url}" }).ClickAsync();
            await Task.Delay(300);
            if (await deliveries.Locator("[data-delivery=delivered]").CountAsync() > 0)
                break;
        } while (DateTime.UtcNow < shown);
        await Expect(deliveries).ToContainTextAsync("ServiceCreationFailed: delivered");
        await Expect(row.Locator("[data-cell=last-delivery] [data-delivery=delivered]")).ToBeVisibleAsync();
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        await row.GetByRole(AriaRole.Button, new() { Name = $"Delete the subscription to {receiver.Url}" }).ClickAsync();
        await page.Locator("#confirm").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
    }

    private static async Task<double> Figure(IPage page, string selector) =>
        double.Parse((await page.Locator(selector).GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture);

    private static async Task ExpectFigure(IPage page, string selector, double value) =>
        await Expect(page.Locator(selector)).ToHaveAttributeAsync("data-value", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
