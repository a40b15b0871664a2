using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.Cli;

namespace Messaging.IntegrationTests;

/// <summary>
/// <c>messaging tokens ...</c> against the real system: a token made with the CLI works with the CLI, its
/// quota holds, the table shows it, revoking it locks it out, and only admin tokens may administer tokens.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed partial class CliTokenTests(SystemFixture system) : IAsyncLifetime
{
    private readonly List<string> _services = [];

    private sealed record CliResult(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
    }

    /// <summary>Runs the CLI with the test API's URL and the given token, nothing from the environment.</summary>
    private async Task<CliResult> CliAs(string token, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await CliApplication.RunAsync([.. args, "--url", system.ApiAddress.ToString(), "--token", token], stdout, stderr)
            .WaitAsync(TimeSpan.FromMinutes(3)); // a wait that never ends must fail the test, not hang the run
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    private Task<CliResult> Admin(params string[] args) => CliAs(SystemFixture.Token, args);

    private string NewServiceName()
    {
        var name = $"cli-{Guid.NewGuid():N}"[..20];
        _services.Add(name);
        return name;
    }

    private static string NewTokenName() => $"cli-tok-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task A_created_token_works_with_its_quota_until_it_is_revoked()
    {
        var tokenName = NewTokenName();
        var create = await Admin("tokens", "create", tokenName, "--scope", "services:read", "--scope", "services:write", "--max-services", "1");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains("cannot be shown again", create.Out);
        var secret = Assert.Single(SecretPattern().Matches(create.Out)).Value;
        var id = Regex.Match(create.Out, @"(?m)^id:\s+(\S+)$").Groups[1].Value;
        Assert.StartsWith("tok-", id);
        // The limits the request left out come from Quotas:DefaultForNewTokens (4g, 4 CPUs).
        Assert.Matches(@"(?m)^quota:\s+services=1,memory=4g,cpus=4$", create.Out);

        // The secret is a working token for the rest of the CLI.
        var list = await CliAs(secret, "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"^NAME\s+STATUS\s+HEALTH\s+RESTARTS\s+IMAGE\s+PORT\s+ID", list.Out);

        var first = await CliAs(secret, "create", NewServiceName(), "nginx:alpine", "--memory", "64m", "--cpus", "0.25", "--wait");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Matches(@"(?m)^status:\s+running$", first.Out);

        // One service is the quota: the API refuses early (429) or the worker fails the creation.
        var second = await CliAs(secret, "create", NewServiceName(), "nginx:alpine", "--memory", "64m", "--cpus", "0.25", "--wait");
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Matches(@"error: Quota exceeded: |failed: quota_exceeded: ", second.Error);

        var tokens = await Admin("tokens", "list");
        Assert.True(tokens.ExitCode == 0, tokens.ToString());
        var lines = tokens.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+NAME\s+SCOPES\s+EXPIRES\s+REVOKED\s+LAST-USED\s+QUOTA$", lines[0]);
        var row = Assert.Single(lines, line => line.StartsWith(id + " ", StringComparison.Ordinal));
        Assert.Matches($@"^{Regex.Escape(id)}\s+{Regex.Escape(tokenName)}\s+services:read,services:write\s+never\s+-\s+\S+\s+services=1,memory=4g,cpus=4$", row);

        var json = await Admin("tokens", "list", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var item = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("items").EnumerateArray(),
            i => i.GetProperty("id").GetString() == id);
        Assert.Equal(1, item.GetProperty("max_services").GetInt32());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("revoked_at").ValueKind);
        Assert.DoesNotContain(secret, json.Out);
        Assert.DoesNotContain(secret, tokens.Out);

        var revoke = await Admin("tokens", "revoke", id);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Contains($"{id} revoked", revoke.Out);

        var locked = await CliAs(secret, "list");
        Assert.Equal(1, locked.ExitCode);
        Assert.StartsWith("error: Unauthorized: ", locked.Error);

        var details = await Admin("tokens", "get", id, "--json");
        Assert.True(details.ExitCode == 0, details.ToString());
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(details.Out).RootElement.GetProperty("revoked_at").ValueKind);
    }

    [Fact]
    public async Task A_token_without_the_admin_scope_may_not_administer_tokens()
    {
        var result = await CliAs(SystemFixture.AliceToken, "tokens", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Forbidden: ", result.Error);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Create_with_json_prints_the_apis_answer_and_revoke_of_an_unknown_id_is_not_found()
    {
        var tokenName = NewTokenName();
        var before = DateTimeOffset.UtcNow;
        var create = await Admin("tokens", "create", tokenName, "--scope", "services:read,admin", "--expires-in", "30d",
            "--max-memory", "2g", "--max-cpus", "1.5", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        var root = JsonDocument.Parse(create.Out).RootElement;
        Assert.Matches($"^{SecretPattern()}$", root.GetProperty("token").GetString());
        var details = root.GetProperty("details");
        Assert.Equal(tokenName, details.GetProperty("name").GetString());
        Assert.Equal(["services:read", "admin"], details.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.InRange(details.GetProperty("expires_at").GetDateTimeOffset(), before.AddDays(30).AddMinutes(-1), before.AddDays(30).AddMinutes(5));
        Assert.Equal("2g", details.GetProperty("max_memory").GetString());
        Assert.Equal(1.5, details.GetProperty("max_cpus").GetDouble());
        Assert.Equal(10, details.GetProperty("max_services").GetInt32()); // left out: the default quota's

        var revoke = await Admin("tokens", "revoke", details.GetProperty("id").GetString()!);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());

        var unknown = await Admin("tokens", "revoke", "tok-000000000000");
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("error: Not found: ", unknown.Error);
    }

    [Fact]
    public async Task Token_usage_errors_exit_2_and_validation_errors_exit_1()
    {
        var noScope = await Admin("tokens", "create", NewTokenName());
        Assert.Equal(2, noScope.ExitCode);
        Assert.Contains("--scope", noScope.Error);
        Assert.Contains("See 'messaging tokens create --help'.", noScope.Error);

        var both = await Admin("tokens", "create", NewTokenName(), "--scope", "admin", "--expires-in", "1d", "--expires-at", "2100-01-01");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--expires-in and --expires-at cannot be used together", both.Error);

        var badDuration = await Admin("tokens", "create", NewTokenName(), "--scope", "admin", "--expires-in", "soon");
        Assert.Equal(2, badDuration.ExitCode);
        Assert.Contains("--expires-in 'soon'", badDuration.Error);

        var badScope = await Admin("tokens", "create", NewTokenName(), "--scope", "everything");
        Assert.Equal(1, badScope.ExitCode);
        Assert.StartsWith("error: One or more validation errors occurred.", badScope.Error);
        Assert.Contains("scopes may only contain", badScope.Error);
    }

    [GeneratedRegex(@"msg_[A-Za-z0-9_-]+")]
    private static partial Regex SecretPattern();

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Removes the services the test made, as admin (the token that owns them may be revoked by now).</summary>
    public async Task DisposeAsync()
    {
        foreach (var name in _services)
            await Admin("rm", name, "--wait");
    }
}
