using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// The web dashboard in a real browser (Debian's chromium through Playwright) against the whole running system: the
/// API serving the page, the real broker, Redis, worker and Docker engine. Kept to a few combined scenarios, so that
/// the default run pays about half a minute for them; the screenshots are DashboardScreenshots (own category).
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DashboardTests(SystemFixture system, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Live = new() { Timeout = 30_000 };

    [Fact]
    public async Task An_owner_creates_a_service_and_follows_it_live_through_logs_stop_start_and_removal()
    {
        var bobs = await SeedService("bob", $"dash-bob-{Guid.NewGuid():N}"[..20]);
        await using var tab = await browser.OpenAsync(system.ApiAddress);
        var page = tab.Page;
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync()); // the sign-in form

        await tab.SignInAsync(SystemFixture.AliceToken);
        // A marker that a reload would lose: everything below happens without one.
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await Expect(page.Locator("p.count")).ToContainTextAsync("shown");
        Assert.Equal(0, await page.Locator($"tr[data-service-id='{bobs}']").CountAsync()); // another owner's service
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        // A name the API refuses: its message next to the field.
        await page.GetByRole(AriaRole.Link, new() { Name = "Create", Exact = true }).ClickAsync();
        var name = page.GetByLabel("Name", new() { Exact = true });
        await name.FillAsync("Not_A_Name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create service" }).ClickAsync();
        await Expect(page.Locator("#service_name-error")).ToContainTextAsync("service_name");
        await Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        // A good one: the detail page shows it reach running by itself.
        var serviceName = $"dash-{Guid.NewGuid():N}"[..16];
        await name.FillAsync(serviceName);
        await page.GetByLabel("Memory limit").FillAsync("64m");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create service" }).ClickAsync();
        var id = await tab.WaitForRouteAsync("services");
        await Expect(page.Locator(".badges [data-status=running]")).ToBeVisibleAsync(Live);

        // A line the container writes appears in the followed log: busybox httpd logs each request with its status, and
        // only this request gets a 404 (the health check asks for /).
        using var alice = system.Api(SystemFixture.AliceToken);
        var record = await alice.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");
        await Expect(page.Locator(".logs [role=status]")).ToContainTextAsync("following"); // the tail was read once
        await Expect(page.Locator("pre.log")).Not.ToContainTextAsync("response:404");
        (await ServingPort.GetAsync(record.GetProperty("host_port").GetInt32(), $"/dashboard-probe-{Guid.NewGuid():N}")).Dispose();
        await Expect(page.Locator("pre.log")).ToContainTextAsync("response:404", new() { Timeout = 15_000 });
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        // Stop and start with confirmation; the badge follows the events.
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await page.Locator("#confirm").GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await Expect(page.Locator(".badges [data-status=stopped]")).ToBeVisibleAsync(Live);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start", Exact = true }).ClickAsync();
        await Expect(page.Locator(".badges [data-status=running]")).ToBeVisibleAsync(Live);

        // The list shows it running, with its port; removal (confirmed) takes it off the list.
        await page.GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true }).ClickAsync();
        var row = page.Locator($"tr[data-service-id='{id}']");
        await Expect(row.Locator("[data-status=running]")).ToBeVisibleAsync(Live);
        await Expect(row).ToContainTextAsync(record.GetProperty("host_port").GetInt32().ToString());
        await row.GetByRole(AriaRole.Link, new() { Name = serviceName }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await page.Locator("#confirm").GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Expect(page.Locator(".badges [data-status=removed]")).ToBeVisibleAsync(Live);
        Assert.Empty(await system.OurContainers(serviceName));
        await page.GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true }).ClickAsync();
        await Expect(page.Locator("p.count")).ToContainTextAsync("shown");
        await Expect(row).ToHaveCountAsync(0);

        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        Assert.DoesNotContain(tab.RequestedUrls, url => url.Contains(SystemFixture.AliceToken));
        Assert.Empty(tab.PolicyViolations());

        // Signing out forgets the token.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("API token")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('messaging.dashboard.token')"));
    }

    [Fact]
    public async Task A_read_only_token_sees_no_write_actions_and_the_API_refuses_them_anyway()
    {
        var name = $"dash-ro-{Guid.NewGuid():N}"[..20];
        var id = await SeedService("reader", name);
        await using var tab = await browser.OpenAsync(system.ApiAddress, width: 390, height: 844);
        var page = tab.Page;
        await tab.SignInAsync(SystemFixture.ReaderToken);
        await Expect(page.Locator("#who")).ToContainTextAsync("read-only");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Create", Exact = true })).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true })).ToBeHiddenAsync();

        await page.Locator($"tr[data-service-id='{id}']").GetByRole(AriaRole.Link).ClickAsync();
        // (The record has no container: the worker's reconciler may mark it failed meanwhile, which changes nothing here.)
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
        await Expect(page.GetByText("Read-only token: no actions.")).ToBeVisibleAsync();
        foreach (var action in new[] { "Stop", "Start", "Restart", "Remove" })
            Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = action, Exact = true }).CountAsync());
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync()); // at phone width

        // The buttons are only hidden: the API is what refuses.
        using var reader = system.Api(SystemFixture.ReaderToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync($"/api/v1/services/{id}/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync($"/api/v1/services/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/v1/services",
            new { service_name = "dash-ro-denied", image = "nginx:alpine" })).StatusCode);

        // A token that stops working (here: replaced by an unknown one): the page signs out by itself at its next call,
        // the log tail's next read within two seconds.
        await page.EvaluateAsync("() => sessionStorage.setItem('messaging.dashboard.token', 'not-a-token-0123456789abcdef0123456789')");
        await Expect(page.Locator("#token-error")).ToContainTextAsync("no longer valid", new() { Timeout = 10_000 });
        await Expect(page.GetByLabel("API token")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_admin_creates_a_token_sees_its_secret_once_and_revokes_it()
    {
        await using var tab = await browser.OpenAsync(system.ApiAddress);
        var page = tab.Page;
        await tab.SignInAsync(SystemFixture.Token);
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true }).ClickAsync();
        var name = $"dash-{Guid.NewGuid():N}"[..14];
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Max services").FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var secret = await page.Locator("#new-token-secret").InputValueAsync();
        Assert.StartsWith("msg_", secret);

        // The secret works, and the list shows the token without it.
        using var created = system.Api(secret);
        Assert.Equal(HttpStatusCode.OK, (await created.GetAsync("/api/v1/me")).StatusCode);
        var row = page.Locator("tr[data-token-id]", new() { HasText = name });
        await Expect(row).ToContainTextAsync("0 / 2");
        Assert.DoesNotContain(secret, await page.Locator("table").First.InnerTextAsync());
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        await row.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        await page.Locator("#confirm").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await created.GetAsync("/api/v1/me")).StatusCode);
        Assert.DoesNotContain(tab.RequestedUrls, url => url.Contains(SystemFixture.Token) || url.Contains(secret));
    }

    /// <summary>A record as the worker would write it (no container): enough for the list and the detail page.</summary>
    private async Task<Guid> SeedService(string owner, string name)
    {
        var id = Guid.NewGuid();
        await new ServiceRecordStore(system.Redis.Multiplexer, new RedisKeys(system.KeyPrefix)).SaveAsync(new ServiceRecord
        {
            ServiceId = id, CommandId = Guid.NewGuid(), Name = name, Image = "nginx:alpine", Owner = owner,
            Status = ServiceStatus.Running, MemoryLimit = "64m", MemoryBytes = 64 << 20, CpuLimit = 0.25,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        return id;
    }
}
