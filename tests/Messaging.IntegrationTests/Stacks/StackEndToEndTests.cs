using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Messaging.IntegrationTests.Stacks;

/// <summary>
/// Stacks on the real engine, broker and Redis: members reach each other by name on their stack's network and
/// nothing else does; a stack is refused whole on quota; a failing member rolls the stack back without a trace;
/// removal cleans everything. Containers carry the fixture's instance label (its cleanup finds them); the stack
/// networks are removed here.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class StackEndToEndTests(SystemFixture system) : IAsyncLifetime
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..14];

    [Fact]
    public async Task Members_reach_each_other_by_name_while_another_stack_and_a_plain_service_cannot()
    {
        using var api = system.Api();
        var (stackId, created) = await CreateStack(api, UniqueName("st-a"), """
            services:
              web:
                image: nginx:alpine
                ports: ["80"]
                depends_on:
                  store: {condition: service_healthy}
              store:
                image: nginx:alpine
                healthcheck:
                  test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
                  interval: 1s
                  timeout: 1s
                  retries: 3
            """);
        var (otherId, _) = await CreateStack(api, UniqueName("st-b"), "services:\n  other:\n    image: nginx:alpine\n");
        var plain = await CreatePlainService(api, UniqueName("st-plain"));

        var web = ContainerOf(created, "web");
        Assert.Equal(0, await ReachByName(web, "store"));
        Assert.Equal(0, await Reach(web, await AddressOf(ContainerOf(created, "store"))));
        var store = ContainerOf(created, "store");
        var other = await ContainerOfMember(otherId, "other");
        Assert.NotEqual(0, await ReachByName(other, "store"));
        Assert.NotEqual(0, await Reach(other, await AddressOf(store)));
        Assert.NotEqual(0, await Reach(plain, await AddressOf(store)));
        Assert.NotEqual(0, await Reach(web, await AddressOf(plain)));

        // Only the public entry is published, and it answers there.
        var publicPort = Assert.Single(created.Members, m => m.Member == "web").HostPort;
        Assert.NotNull(publicPort);
        Assert.Null(Assert.Single(created.Members, m => m.Member == "store").HostPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Contains("messaging test image", await http.GetStringAsync($"http://127.0.0.1:{publicPort}/"));

        var view = await api.GetFromJsonAsync<JsonElement>($"/api/v1/stacks/{stackId}");
        Assert.Equal("running", view.GetProperty("status").GetString());
        Assert.All(view.GetProperty("members").EnumerateArray(), m => Assert.Equal("running", m.GetProperty("status").GetString()));

        await RemoveAndAssertClean(api, stackId, created);
        await RemoveAndAssertClean(api, otherId, null);
    }

    [Fact]
    public async Task A_stack_over_quota_is_refused_whole()
    {
        var token = $"stacks-quota-token-{Guid.NewGuid():N}";
        var owner = $"quota-{Guid.NewGuid():N}"[..16];
        await system.WorkerServices.GetRequiredService<TokenStore>().SaveAsync(new TokenRecord
        {
            Id = owner, Name = owner, Scopes = ["services:read", "services:write"], MaxServices = 2,
            Sha256 = Convert.ToHexString(TokenStore.Hash(token)), CreatedAt = DateTimeOffset.UtcNow,
        });
        using var api = system.Api(token);
        var name = UniqueName("st-quota");
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new
        {
            name, compose_file = "services:\n  aa:\n    image: nginx:alpine\n  bb:\n    image: nginx:alpine\n  cc:\n    image: nginx:alpine\n",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();

        var failed = await system.Events.WaitFor<StackCreationFailed>(e => e.StackId == stackId);
        Assert.Equal(FailureReasons.QuotaExceeded, failed.Reason);
        Assert.Null(failed.FailedMember);
        Assert.Empty(await StackContainers(stackId));
        Assert.Empty(await StackNetworks(stackId));
        var usage = await system.Redis.HashGetAsync($"{system.KeyPrefix}usage:{owner}", "services");
        Assert.True(usage.IsNull || (long)usage == 0);
        foreach (var member in new[] { "aa", "bb", "cc" })
            Assert.False(await system.Redis.HashExistsAsync($"{system.KeyPrefix}names", $"{name}-{member}"));
    }

    [Fact]
    public async Task A_member_that_fails_rolls_the_stack_back_without_a_trace()
    {
        using var api = system.Api();
        var name = UniqueName("st-roll");
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new
        {
            name,
            compose_file = """
                services:
                  web:
                    image: nginx:alpine
                    ports: ["80"]
                  bad:
                    image: nginx:alpine
                    healthcheck:
                      test: ["CMD-SHELL", "exit 1"]
                      interval: 1s
                      timeout: 1s
                      retries: 1
                  late:
                    image: nginx:alpine
                    depends_on:
                      bad: {condition: service_healthy}
                """,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();

        var failed = await system.Events.WaitFor<StackCreationFailed>(e => e.StackId == stackId, TimeSpan.FromSeconds(90));
        Assert.Equal("bad", failed.FailedMember);
        Assert.Empty(failed.KeptMembers);
        Assert.Empty(await StackContainers(stackId));
        Assert.Empty(await StackNetworks(stackId));
        foreach (var member in new[] { "web", "bad", "late" })
            Assert.False(await system.Redis.HashExistsAsync($"{system.KeyPrefix}names", $"{name}-{member}"));
        var view = await api.GetFromJsonAsync<JsonElement>($"/api/v1/stacks/{stackId}");
        Assert.Equal("failed", view.GetProperty("status").GetString());
        Assert.Equal("bad", view.GetProperty("failure").GetProperty("member").GetString());
        foreach (var member in view.GetProperty("members").EnumerateArray())
        {
            Assert.Equal("failed", member.GetProperty("status").GetString());
            var serviceId = member.GetProperty("service_id").GetString()!;
            Assert.False(await system.Redis.HashExistsAsync($"{system.KeyPrefix}service-ports", serviceId));
            Assert.False(await system.Redis.HashExistsAsync($"{system.KeyPrefix}service-usage", serviceId));
        }
    }

    [Fact]
    public async Task A_bad_file_is_refused_with_the_path_of_the_offending_key()
    {
        using var api = system.Api();
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new
        {
            name = UniqueName("st-bad"), compose_file = "services:\n  db:\n    image: nginx:alpine\n    privileged: true\n",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Stack file refused", problem.GetProperty("title").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("services.db.privileged", out _));
    }

    [Fact]
    public async Task A_stack_published_straight_to_the_broker_is_judged_again_by_the_worker()
    {
        // The listener publishes as the API's broker user would; the worker parses and judges the file itself.
        var stackId = Guid.NewGuid();
        await system.Events.Publish(new CreateStack
        {
            CommandId = Guid.NewGuid(), StackId = stackId, StackName = UniqueName("st-raw"), RequestedBy = "admin", RequestedAt = DateTimeOffset.UtcNow,
            ComposeFile = "services:\n  web:\n    image: nginx:alpine\n  db:\n    image: ubuntu:latest\n",
        });
        var failed = await system.Events.WaitFor<StackCreationFailed>(e => e.StackId == stackId);
        Assert.Equal(FailureReasons.ImageNotAllowed, failed.Reason);
        Assert.Equal("db", failed.FailedMember);
        Assert.Empty(await StackContainers(stackId));
        Assert.Empty(await StackNetworks(stackId));

        var privileged = Guid.NewGuid();
        await system.Events.Publish(new CreateStack
        {
            CommandId = Guid.NewGuid(), StackId = privileged, StackName = UniqueName("st-raw"), RequestedBy = "admin", RequestedAt = DateTimeOffset.UtcNow,
            ComposeFile = "services:\n  web:\n    image: nginx:alpine\n    privileged: true\n",
        });
        var refused = await system.Events.WaitFor<StackCreationFailed>(e => e.StackId == privileged);
        Assert.Equal(FailureReasons.InvalidCommand, refused.Reason);
        Assert.Contains("services.web.privileged", refused.Message);
        Assert.Empty(await StackContainers(privileged));
    }

    [Fact]
    public async Task With_keep_started_on_failure_the_started_members_stay_and_the_event_names_them()
    {
        using var api = system.Api();
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new
        {
            name = UniqueName("st-keep"),
            keep_started_on_failure = true,
            compose_file = """
                services:
                  web:
                    image: nginx:alpine
                  bad:
                    image: nginx:alpine
                    healthcheck: {test: ["CMD-SHELL", "exit 1"], interval: 1s, timeout: 1s, retries: 1}
                  late:
                    image: nginx:alpine
                    depends_on: {bad: {condition: service_healthy}}
                """,
        });
        var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();

        var failed = await system.Events.WaitFor<StackCreationFailed>(e => e.StackId == stackId, TimeSpan.FromSeconds(90));
        Assert.Equal("bad", failed.FailedMember);
        Assert.Equal(["bad", "web"], failed.KeptMembers.Select(m => m.Member).Order());
        Assert.Equal(2, (await StackContainers(stackId)).Count);
        var view = await api.GetFromJsonAsync<JsonElement>($"/api/v1/stacks/{stackId}");
        Assert.Equal("partial", view.GetProperty("status").GetString());
        Assert.Equal("failed", view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == "late").GetProperty("status").GetString());

        await RemoveAndAssertClean(api, stackId, null);
    }

    [Fact]
    public async Task The_reconciler_removes_an_empty_stack_network_whose_stack_is_gone()
    {
        var stackId = Guid.NewGuid();
        var networks = system.WorkerServices.GetRequiredService<Messaging.Worker.Stacks.StackNetworks>();
        await networks.EnsureAsync(stackId, default); // as a crash between the last member's removal and the network's leaves it
        Assert.Single(await StackNetworks(stackId));

        var swept = await system.WorkerServices.GetRequiredService<Messaging.Worker.Stacks.StackNetworkSweeper>().SweepAsync(default);

        Assert.True(swept >= 1);
        Assert.Empty(await StackNetworks(stackId));
    }

    [Fact]
    public async Task A_stack_from_the_shipped_two_service_template_runs_with_its_generated_secret_in_both_members()
    {
        using var api = system.Api();
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new { name = UniqueName("st-tpl"), template = "web-and-store" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var stackId = body.GetProperty("stack_id").GetGuid();
        var secret = body.GetProperty("generated_secrets").GetProperty("store_token").GetString();

        var created = await system.Events.WaitFor<StackCreated>(e => e.StackId == stackId, TimeSpan.FromSeconds(90));
        var web = ContainerOf(created, "web");
        Assert.Equal(0, await ReachByName(web, "store"));
        foreach (var member in new[] { "web", "store" })
        {
            var inspect = await system.Docker.Containers.InspectContainerAsync(ContainerOf(created, member));
            Assert.Contains($"STORE_TOKEN={secret}", inspect.Config!.Env);
        }
        await RemoveAndAssertClean(api, stackId, created);
    }

    [Fact]
    public async Task A_member_runs_its_own_command_only_where_its_allowlist_entry_permits_it()
    {
        using var api = system.Api();
        // nginx:alpine's entry does not set AllowCommand. The API cannot tell (the allowlist is the worker's): it
        // accepts, and the worker refuses the stack whole.
        var refused = await api.PostAsJsonAsync("/api/v1/stacks", new
        {
            name = UniqueName("st-cmd"),
            compose_file = "services:\n  ok:\n    image: nginx:alpine\n  web:\n    image: nginx:alpine\n    entrypoint: [\"/bin/sh\", \"-c\", \"id\"]\n",
        });
        Assert.Equal(HttpStatusCode.Accepted, refused.StatusCode);
        var refusedId = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();
        var failed = await system.Events.WaitFor<StackCreationFailed>(e => e.StackId == refusedId);
        Assert.Equal(FailureReasons.ImageNotAllowed, failed.Reason);
        Assert.Equal("web", failed.FailedMember);
        Assert.Contains("services.web.entrypoint: not permitted for nginx:alpine", failed.Message);
        Assert.Empty(await StackContainers(refusedId));
        Assert.Empty(await StackNetworks(refusedId));

        // The supervision image's entry sets it (SystemFixture): the member runs the command, under the entry's hardening.
        var (stackId, created) = await CreateStack(api, UniqueName("st-cmd"), """
            services:
              job:
                image: messaging-test/supervision:latest
                command: ["sh", "-c", "trap 'exit 0' TERM; echo from-the-command; sleep 300 & wait"]
            """);
        var job = ContainerOf(created, "job");
        var inspect = await system.Docker.Containers.InspectContainerAsync(job);
        Assert.Equal(["sh", "-c", "trap 'exit 0' TERM; echo from-the-command; sleep 300 & wait"], inspect.Config!.Cmd);
        Assert.Equal("101:101", inspect.Config.User);
        Assert.True(inspect.HostConfig!.ReadonlyRootfs);
        Assert.Equal(["ALL"], inspect.HostConfig.CapDrop);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string logs;
        while (!(logs = await LogsOf(job)).Contains("from-the-command", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Contains("from-the-command", logs);

        await RemoveAndAssertClean(api, stackId, created);
    }

    /// <summary>The container's output so far (the Docker CLI, as an operator would read it).</summary>
    private static async Task<string> LogsOf(string containerId)
    {
        var start = new ProcessStartInfo("docker", ["logs", containerId]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        return await output + await error;
    }

    private async Task<(Guid StackId, StackCreated Created)> CreateStack(HttpClient api, string name, string file)
    {
        var response = await api.PostAsJsonAsync("/api/v1/stacks", new { name, compose_file = file });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();
        var outcome = await Task.WhenAny(
            system.Events.WaitFor<StackCreated>(e => e.StackId == stackId, TimeSpan.FromSeconds(90)),
            system.Events.WaitFor<StackCreationFailed>(e => e.StackId == stackId, TimeSpan.FromSeconds(90)).ContinueWith<StackCreated>(t =>
                throw new Xunit.Sdk.XunitException($"Stack failed: {t.Result.Reason} at {t.Result.FailedMember}: {t.Result.Message}"), TaskScheduler.Default));
        return (stackId, await outcome);
    }

    private async Task<string> CreatePlainService(HttpClient api, string name)
    {
        var response = await api.PostAsJsonAsync("/api/v1/services", new { service_name = name, image = "nginx:alpine" });
        var serviceId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        return (await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == serviceId)).ContainerId;
    }

    private string ContainerOf(StackCreated created, string member)
    {
        var serviceId = Assert.Single(created.Members, m => m.Member == member).ServiceId;
        return system.WorkerServices.GetRequiredService<ServiceRecordStore>().GetAsync(serviceId).GetAwaiter().GetResult()!.ContainerId!;
    }

    private async Task<string> ContainerOfMember(Guid stackId, string member) =>
        Assert.Single(await StackContainers(stackId), c => c.Labels["messaging.service-name"].EndsWith("-" + member, StringComparison.Ordinal)).ID;

    private async Task RemoveAndAssertClean(HttpClient api, Guid stackId, StackCreated? created)
    {
        var response = await api.DeleteAsync($"/api/v1/stacks/{stackId}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await system.Events.WaitFor<StackRemoved>(e => e.StackId == stackId);
        Assert.Empty(await StackContainers(stackId));
        Assert.Empty(await StackNetworks(stackId));
        foreach (var member in created?.Members ?? [])
        {
            Assert.False(await system.Redis.HashExistsAsync($"{system.KeyPrefix}names", member.ServiceName));
            Assert.False(await system.Redis.HashExistsAsync($"{system.KeyPrefix}service-ports", member.ServiceId.ToString("D")));
        }
    }

    private Task<IList<ContainerListResponse>> StackContainers(Guid stackId) =>
        system.Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"messaging.stack-id={stackId:D}"] = true } },
        });

    private Task<IList<NetworkResponse>> StackNetworks(Guid? stackId = null) =>
        system.Docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"messaging.instance={SystemFixture.Instance}"] = true,
                    [stackId is null ? "messaging.stack-id" : $"messaging.stack-id={stackId:D}"] = true,
                },
            },
        });

    private async Task<string> AddressOf(string containerId)
    {
        var inspect = await system.Docker.Containers.InspectContainerAsync(containerId);
        return inspect.NetworkSettings!.Networks!.Values.First().IPAddress!;
    }

    /// <summary>
    /// Resolves <paramref name="name"/> in the container and asks it for a page (0: answered 200). The stand-in image's
    /// busybox is static, so it cannot use the C library's resolver; its nslookup speaks DNS itself, and nc talks HTTP.
    /// </summary>
    private static Task<int> ReachByName(string containerId, string name) =>
        Reach(containerId, $"$(nslookup {name} 2>/dev/null | awk '/^Address/ && !/:53$/ {{a=$NF}} END {{print a}}')");

    private static Task<int> Reach(string containerId, string address) => Exec(containerId, "sh", "-c",
        $"ip={address}; [ -n \"$ip\" ] && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 \"$ip\" 80 2>/dev/null | grep -q '200 OK'");

    private static async Task<int> Exec(string containerId, params string[] command) =>
        (await DockerExec.RunAsync(containerId, command)).Exit;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Whatever a failed test left: the fixture removes the containers, this the stack networks (once they are empty).</summary>
    public async Task DisposeAsync()
    {
        foreach (var container in await system.Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"messaging.instance={SystemFixture.Instance}"] = true, ["messaging.stack-id"] = true } },
        }))
            await system.Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        foreach (var network in await StackNetworks())
            await system.Docker.Networks.DeleteNetworkAsync(network.ID);
    }
}
