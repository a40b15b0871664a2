using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard's stacks view and the create form's templates in a real browser against the whole system: a stack's
/// members' status follows its events without a reload; a template's typed parameter refused by the API shows at its field.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DashboardStackTemplateTests(SystemFixture system, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Live = new() { Timeout = 30_000 };

    [Fact]
    public async Task A_stacks_members_status_shows_and_follows_a_stop_of_the_stack_live()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var name = $"dash-st-{Guid.NewGuid():N}"[..16];
        var response = await alice.PostAsJsonAsync("/api/v1/stacks", new
        {
            name, compose_file = "services:\n  web:\n    image: nginx:alpine\n    ports: [\"80\"]\n  api:\n    image: nginx:alpine\n",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();
        await system.Events.WaitFor<StackCreated>(e => e.StackId == stackId, TimeSpan.FromSeconds(90));
        try
        {
            await using var tab = await browser.OpenAsync(system.ApiAddress);
            var page = tab.Page;
            await tab.SignInAsync(SystemFixture.AliceToken);
            await page.EvaluateAsync("() => { window.__sameDocument = true; }");
            await page.GetByRole(AriaRole.Link, new() { Name = "Stacks", Exact = true }).ClickAsync();

            var stack = page.Locator($"article[data-stack-id='{stackId}']");
            await Expect(stack.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
            var members = stack.Locator("tbody tr");
            await Expect(members).ToHaveCountAsync(2);
            await Expect(members.Locator("[data-status=running]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            var record = await alice.GetFromJsonAsync<JsonElement>($"/api/v1/stacks/{stackId}");
            var web = record.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == "web");
            await Expect(members.Filter(new() { HasText = "web (public)" })).ToContainTextAsync(web.GetProperty("host_port").GetInt32().ToString());
            Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

            // Stop the whole stack (confirmed): both members' badges turn to stopped by themselves.
            await stack.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
            await page.Locator("#confirm").GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
            await Expect(members.Locator("[data-status=stopped]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
            Assert.Empty(tab.PolicyViolations());
        }
        finally
        {
            await alice.DeleteAsync($"/api/v1/stacks/{stackId}");
        }
    }

    [Fact]
    public async Task A_template_with_a_typed_parameter_refuses_a_bad_value_at_its_field_and_creates_with_a_good_one()
    {
        using var admin = system.Api();
        var template = $"dash-typed-{Guid.NewGuid():N}"[..20];
        var added = await admin.PostAsJsonAsync("/api/v1/templates", new
        {
            content = $$"""
                x-template:
                  name: {{template}}
                  version: 1
                  description: A web server told how many workers to run.
                  params:
                    workers:
                      type: int
                      default: "2"
                      description: Put in the environment as WORKERS.
                services:
                  web:
                    image: nginx:alpine
                    environment:
                      WORKERS: ${workers}
                    ports: ["80"]
                """,
        });
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());

        await using var tab = await browser.OpenAsync(system.ApiAddress, width: 390, height: 844);
        var page = tab.Page;
        await tab.SignInAsync(SystemFixture.AliceToken);
        await page.GetByRole(AriaRole.Link, new() { Name = "Create", Exact = true }).ClickAsync();
        var serviceName = $"dash-tp-{Guid.NewGuid():N}"[..16];
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(serviceName);
        await page.GetByLabel("a template").CheckAsync();
        await page.Locator("#template").SelectOptionAsync($"{template}@1");
        var workers = page.Locator("#param-workers");
        await Expect(workers).ToHaveValueAsync("2"); // the default
        await Expect(page.Locator("#param-workers-hint")).ToContainTextAsync("(int)");

        await workers.FillAsync("many");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create service" }).ClickAsync();
        await Expect(page.Locator("#param-workers-error")).Not.ToBeEmptyAsync();
        await Expect(workers).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync()); // at phone width, with the error shown

        await workers.FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create service" }).ClickAsync();
        var id = await tab.WaitForRouteAsync("services");
        try
        {
            await Expect(page.Locator(".badges [data-status=running]")).ToBeVisibleAsync(Live);
        }
        finally
        {
            using var alice = system.Api(SystemFixture.AliceToken);
            await alice.DeleteAsync($"/api/v1/services/{id}");
        }
    }
}
