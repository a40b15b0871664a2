using System.Diagnostics;
using System.Text.Json;
using Messaging.Cli;

namespace Messaging.IntegrationTests;

/// <summary>
/// The <c>messaging</c> CLI against the real system: in-process through <see cref="CliApplication.RunAsync"/>
/// (fast, output captured), and once as a real process to prove the built executable works.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class CliTests(SystemFixture system) : IAsyncLifetime
{
    private readonly List<string> _created = [];

    private sealed record CliResult(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
    }

    /// <summary>Runs the CLI with the test API's URL and a token on the command line, nothing from the environment.</summary>
    private Task<CliResult> Cli(params string[] args) => CliAs(SystemFixture.Token, args);

    private Task<CliResult> CliAs(string token, params string[] args) =>
        Run([.. args, "--url", system.ApiAddress.ToString(), "--token", token]);

    private static async Task<CliResult> Run(string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await CliApplication.RunAsync(args, stdout, stderr, environment)
            .WaitAsync(TimeSpan.FromMinutes(3)); // a wait that never ends must fail the test, not hang the run
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    private string NewName()
    {
        var name = $"cli-{Guid.NewGuid():N}"[..20];
        _created.Add(name);
        return name;
    }

    private async Task<string> CreateRunning()
    {
        var name = NewName();
        var result = await Cli("create", name, "nginx:alpine", "--memory", "64m", "--cpus", "0.25", "--wait");
        Assert.True(result.ExitCode == 0, result.ToString());
        return name;
    }

    private async Task<JsonElement> GetJson(string nameOrId)
    {
        var result = await Cli("get", nameOrId, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement;
    }

    private async Task<bool> ContainerRunning(string name)
    {
        var container = Assert.Single(await system.OurContainers(name));
        var inspect = await system.Docker.Containers.InspectContainerAsync(container.ID);
        return inspect.State!.Running;
    }

    [Fact]
    public async Task Create_with_only_a_name_and_an_image_runs_with_the_image_defaults()
    {
        // The original system's `service create my-nginx nginx:alpine`: the worker fills in the allowlist's defaults.
        var name = NewName();
        var result = await Cli("create", name, "nginx:alpine", "--wait");
        Assert.True(result.ExitCode == 0, result.ToString());

        var inspect = await system.Docker.Containers.InspectContainerAsync(Assert.Single(await system.OurContainers(name)).ID);
        Assert.True(inspect.State!.Running);
        Assert.Equal(128L * 1024 * 1024, inspect.HostConfig!.Memory);
        Assert.Equal(500_000_000L, inspect.HostConfig.NanoCPUs);
        var view = await GetJson(name);
        Assert.Equal("128m", view.GetProperty("memory_limit").GetString());
        Assert.Equal(0.5, view.GetProperty("cpu_limit").GetDouble());
    }

    [Fact]
    public async Task Create_from_a_template_runs_it_with_the_params_and_prints_the_generated_secret_once()
    {
        var name = NewName();
        var result = await Cli("create", name, "--template", "static-web", "--template-version", "2", "--param", "greeting=hey", "--wait");
        Assert.True(result.ExitCode == 0, result.ToString());

        var secretLine = Assert.Single(result.Out.Split('\n'), l => l.StartsWith("generated access_token: ", StringComparison.Ordinal));
        var secret = secretLine["generated access_token: ".Length..].Split(' ')[0];
        var inspect = await system.Docker.Containers.InspectContainerAsync(Assert.Single(await system.OurContainers(name)).ID);
        Assert.True(inspect.State!.Running);
        Assert.Contains("GREETING=hey", inspect.Config!.Env);
        Assert.Contains($"ACCESS_TOKEN={secret}", inspect.Config.Env);
        Assert.Equal(64L * 1024 * 1024, inspect.HostConfig!.Memory); // the template's limit
        Assert.DoesNotContain(secret, (await Cli("get", name, "--json")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_both_an_image_and_a_template_is_a_usage_error()
    {
        var result = await Cli("create", "cli-both", "nginx:alpine", "--template", "static-web");
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Create_with_wait_runs_the_container_and_list_and_get_show_it()
    {
        var name = await CreateRunning();

        var container = Assert.Single(await system.OurContainers(name));
        var inspect = await system.Docker.Containers.InspectContainerAsync(container.ID);
        Assert.True(inspect.State!.Running);
        Assert.Equal(64L * 1024 * 1024, inspect.HostConfig!.Memory);
        Assert.Equal(250_000_000L, inspect.HostConfig.NanoCPUs);

        var table = await Cli("list");
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+STATUS\s+HEALTH\s+RESTARTS\s+IMAGE\s+PORT\s+ID$", lines[0]);
        var row = Assert.Single(lines, line => line.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Matches(@"\srunning\s+(starting|healthy|none)\s+0\s+nginx:alpine\s+19\d{3}\s+[0-9a-f-]{36}$", row);

        var json = await Cli("list", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var items = JsonDocument.Parse(json.Out).RootElement.GetProperty("items").EnumerateArray();
        var item = Assert.Single(items, i => i.GetProperty("service_name").GetString() == name);
        Assert.Equal("running", item.GetProperty("status").GetString());

        var details = await Cli("get", name);
        Assert.True(details.ExitCode == 0, details.ToString());
        Assert.Matches(@"(?m)^status:\s+running$", details.Out);
        Assert.Matches(@"(?m)^memory:\s+64m$", details.Out);
        Assert.Contains(container.ID, details.Out);

        // By id, and as the API's JSON.
        var byId = await GetJson(item.GetProperty("service_id").GetString()!);
        Assert.Equal(name, byId.GetProperty("service_name").GetString());
        Assert.Equal(container.ID, byId.GetProperty("container_id").GetString());

        // Another owner's service is not found by name.
        var asBob = await CliAs(SystemFixture.BobToken, "get", name);
        Assert.Equal(1, asBob.ExitCode);
        Assert.Contains($"no service named '{name}'", asBob.Error);
    }

    [Fact]
    public async Task Stop_start_and_restart_by_name_with_wait_drive_the_container()
    {
        var name = await CreateRunning();

        var stop = await Cli("stop", name, "--wait");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"{name} is stopped", stop.Out);
        Assert.False(await ContainerRunning(name));

        // A command the state does not allow is the API's 409, exit code 1.
        var again = await Cli("stop", name);
        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error: Wrong state: ", again.Error);

        var start = await Cli("start", name, "--wait");
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.True(await ContainerRunning(name));

        var container = Assert.Single(await system.OurContainers(name));
        var startedBefore = (await system.Docker.Containers.InspectContainerAsync(container.ID)).State!.StartedAt;
        var restart = await Cli("restart", name, "--wait", "--json");
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Equal("running", JsonDocument.Parse(restart.Out).RootElement.GetProperty("status").GetString());
        var inspect = await system.Docker.Containers.InspectContainerAsync(container.ID);
        Assert.True(inspect.State!.Running);
        Assert.NotEqual(startedBefore, inspect.State.StartedAt); // --wait returned after the restart, not before
    }

    [Fact]
    public async Task Logs_by_name_show_the_containers_access_log()
    {
        var name = await CreateRunning();
        var port = (await GetJson(name)).GetProperty("host_port").GetInt32();
        await ServingPort.GetStringAsync(port);

        // The access line reaches the engine's log asynchronously: allow it a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        CliResult logs;
        do
        {
            logs = await Cli("logs", name, "--tail", "5");
            Assert.True(logs.ExitCode == 0, logs.ToString());
        }
        while (!logs.Out.Contains("response:200") && DateTime.UtcNow < deadline && await Delay());
        Assert.Contains("response:200", logs.Out);
        Assert.InRange(logs.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, 1, 5);
    }

    [Fact]
    public async Task Stats_by_name_read_the_running_container_from_the_engine_and_a_stopped_one_is_refused()
    {
        var name = await CreateRunning();
        var port = (await GetJson(name)).GetProperty("host_port").GetInt32();
        await ServingPort.GetStringAsync(port);

        var json = await Cli("stats", name, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var stats = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(64L << 20, stats.GetProperty("memory_limit_bytes").GetInt64());
        Assert.InRange(stats.GetProperty("memory_used_bytes").GetInt64(), 1, 64L << 20);
        Assert.InRange(stats.GetProperty("pids").GetInt64(), 1, 256);
        Assert.True(stats.GetProperty("network_rx_bytes").GetInt64() > 0, json.Out); // our request reached it
        Assert.True(stats.GetProperty("network_tx_bytes").GetInt64() > 0, json.Out);
        // Capped at 0.25 CPU: an idle httpd stays far below a quarter of a core (25 in docker stats' scale).
        Assert.InRange(stats.GetProperty("cpu_percent").GetDouble(), 0, 25);
        Assert.True(stats.GetProperty("online_cpus").GetInt32() >= 1);

        var table = await Cli("stats", name);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("MEM USAGE / LIMIT", table.Out);
        Assert.Contains("/ 64.0MiB", table.Out);

        Assert.Equal(0, (await Cli("stop", name, "--wait")).ExitCode);
        var stopped = await Cli("stats", name);
        Assert.Equal(ExitCodes.Failure, stopped.ExitCode);
        Assert.Contains("Not running", stopped.Error);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(300);
        return true;
    }

    [Fact]
    public async Task Rm_by_name_with_wait_removes_the_container_and_frees_the_name()
    {
        var name = await CreateRunning();
        var id = (await GetJson(name)).GetProperty("service_id").GetString()!;

        var rm = await Cli("rm", name, "--wait");
        Assert.True(rm.ExitCode == 0, rm.ToString());
        Assert.Empty(await system.OurContainers(name));
        Assert.Equal("removed", (await GetJson(id)).GetProperty("status").GetString());

        var gone = await Cli("get", name);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains($"no service named '{name}'", gone.Error);
    }

    [Fact]
    public async Task A_disallowed_image_with_wait_exits_non_zero_with_the_failure_reason()
    {
        var name = NewName();
        var result = await Cli("create", name, "ubuntu:latest", "--wait");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: {name} failed: image_not_allowed: ", result.Error);
        Assert.Empty(await system.OurContainers(name));
    }

    [Fact]
    public async Task Invalid_input_exits_1_with_the_validation_messages()
    {
        var result = await Cli("create", "BAD_NAME", "nginx:alpine", "--memory", "lots");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: One or more validation errors occurred.", result.Error);
        Assert.Contains("service_name must be 2-63 characters", result.Error);
        Assert.Contains("memory_limit must be a whole number", result.Error);
    }

    [Fact]
    public async Task Usage_errors_exit_2_with_a_clear_message_and_no_request()
    {
        var noToken = await Run(["list", "--url", system.ApiAddress.ToString()]);
        Assert.Equal(2, noToken.ExitCode);
        Assert.Contains("no API token: pass --token or set MESSAGING_TOKEN", noToken.Error);

        var badEnv = await Cli("create", "cli-x", "nginx:alpine", "--env", "NOVALUE");
        Assert.Equal(2, badEnv.ExitCode);
        Assert.Contains("--env 'NOVALUE' must be NAME=VALUE", badEnv.Error);

        var missing = await Cli("create", "cli-x");
        Assert.Equal(2, missing.ExitCode);
    }

    [Fact]
    public async Task Url_and_token_come_from_the_environment_and_flags_win_over_it()
    {
        var environment = new Dictionary<string, string?>
        {
            [CliApplication.UrlVariable] = system.ApiAddress.ToString(),
            [CliApplication.TokenVariable] = SystemFixture.AliceToken,
        };

        var list = await Run(["list", "--json"], environment);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(list.Out).RootElement.GetProperty("items").ValueKind);

        var wrongToken = await Run(["list", "--token", "not-a-token"], environment);
        Assert.Equal(1, wrongToken.ExitCode);
        Assert.StartsWith("error: Unauthorized: ", wrongToken.Error);
    }

    [Fact]
    public async Task An_unreachable_api_exits_1_with_a_clear_message()
    {
        var result = await Run(["list", "--url", "http://127.0.0.1:1", "--token", SystemFixture.Token]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: cannot reach the API at http://127.0.0.1:1/", result.Error);
    }

    [Fact]
    public async Task The_built_executable_lists_services_as_json()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "messaging.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the ProjectReference should copy the CLI next to the tests.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { dll, "list", "--json" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                [CliApplication.UrlVariable] = system.ApiAddress.ToString(),
                [CliApplication.TokenVariable] = SystemFixture.Token,
            },
        };

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(await stdout).RootElement.GetProperty("items").ValueKind);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Removes what the test made, through the API (the fixture force-removes leftovers at the end).</summary>
    public async Task DisposeAsync()
    {
        foreach (var name in _created)
            await Run(["rm", name, "--url", system.ApiAddress.ToString(), "--token", SystemFixture.Token]);
    }
}
