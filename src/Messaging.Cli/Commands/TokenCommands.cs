using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Cli.Api;
using Messaging.Cli.Output;

namespace Messaging.Cli.Commands;

/// <summary><c>tokens create|list|get|revoke</c>: token administration (the API wants the <c>admin</c> scope).</summary>
internal static partial class TokenCommands
{
    public static Command Build(CliContext cli)
    {
        var command = new Command("tokens", "Administer API tokens (needs a token with the admin scope)")
        {
            Create(cli),
            List(cli),
            Get(cli),
            Revoke(cli),
        };
        command.Aliases.Add("token");
        return command;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "Token id, e.g. tok-3f2a9c01b7d4 (see 'messaging tokens list')" };

    private static Command Create(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "Token name: 1-64 letters, digits, spaces or ._-" };
        var scopes = new Option<string[]>("--scope", "-s")
        {
            Description = "Scope: services:read, services:write or admin (repeat, or separate with commas)",
            Required = true,
        };
        var expiresIn = new Option<TimeSpan?>("--expires-in")
        {
            Description = "Lifetime: a whole number with s, m, h, d or w, e.g. 30d [default: never expires]",
            CustomParser = ParseDuration,
        };
        var expiresAt = new Option<DateTimeOffset?>("--expires-at")
        {
            Description = "Expiry instant, ISO 8601, e.g. 2030-01-31T12:00:00Z (UTC when no offset is given)",
            CustomParser = ParseInstant,
        };
        var maxServices = new Option<int?>("--max-services") { Description = "Quota: services the token may hold at once [default: unlimited]" };
        var maxMemory = new Option<string>("--max-memory") { Description = "Quota: memory of all its services, e.g. 2g [default: unlimited]" };
        var maxCpus = new Option<double?>("--max-cpus") { Description = "Quota: CPU cores of all its services, e.g. 1.5 [default: unlimited]" };

        var command = new Command("create", "Create a token and print its secret, which is shown this once only")
        {
            name, scopes, expiresIn, expiresAt, maxServices, maxMemory, maxCpus,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(expiresIn) is not null && result.GetResult(expiresAt) is not null)
                result.AddError("--expires-in and --expires-at cannot be used together.");
        });
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var expires = parse.GetValue(expiresIn) is { } lifetime
                ? DateTimeOffset.UtcNow + lifetime
                : parse.GetValue(expiresAt)?.ToUniversalTime();
            var request = new CreateTokenRequest(
                parse.GetValue(name)!,
                SplitScopes(parse.GetValue(scopes)),
                expires,
                parse.GetValue(maxServices),
                parse.GetValue(maxMemory),
                parse.GetValue(maxCpus));
            var created = await session.Api.CreateTokenAsync(request, session.CancellationToken);
            return session.Print(created, TokenPrinter.WriteCreated);
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("list", "List every token (never their secrets)");
        command.Aliases.Add("ls");
        command.SetAction(cli.Action(async (_, session) =>
        {
            var tokens = await session.Api.ListTokensAsync(session.CancellationToken);
            return session.Print(tokens, (output, list) => TokenPrinter.WriteList(output, list.Items));
        }));
        return command;
    }

    private static Command Get(CliContext cli)
    {
        var id = IdArgument();
        var command = new Command("get", "Show one token (never its secret)") { id };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var token = await session.Api.GetTokenAsync(parse.GetValue(id)!, session.CancellationToken);
            return session.Print(token, TokenPrinter.WriteDetails);
        }));
        return command;
    }

    private static Command Revoke(CliContext cli)
    {
        var id = IdArgument();
        var command = new Command("revoke", "Revoke a token: it authenticates no more (its services stay)") { id };
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var tokenId = parse.GetValue(id)!;
            await session.Api.RevokeTokenAsync(tokenId, session.CancellationToken);
            if (!session.Json)
            {
                await session.Out.WriteLineAsync($"{tokenId} revoked");
                return ExitCodes.Ok;
            }
            // The API answers 204 with no body: --json prints the record as it now is, revoked_at set.
            try
            {
                ServicePrinter.WriteJson(session.Out, (await session.Api.GetTokenAsync(tokenId, session.CancellationToken)).Json);
            }
            catch (ApiException e) when (e.StatusCode == 401)
            {
                await session.Error.WriteLineAsync($"{tokenId} revoked; it was the token in use, so its record cannot be read back with it.");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string[] SplitScopes(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal)];

    /// <summary><c>--expires-in</c>: a positive whole number and a unit (s, m, h, d, w); anything else is a usage error.</summary>
    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        var match = DurationPattern().Match(text);
        if (match.Success && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            var unit = match.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(1),
                "m" => TimeSpan.FromMinutes(1),
                "h" => TimeSpan.FromHours(1),
                "d" => TimeSpan.FromDays(1),
                _ => TimeSpan.FromDays(7),
            };
            // At most 100 years: DateTimeOffset.MaxValue is not a useful expiry, and larger numbers overflow.
            if (amount <= TimeSpan.FromDays(36_525).Ticks / unit.Ticks)
                return TimeSpan.FromTicks(amount * unit.Ticks);
        }
        result.AddError($"--expires-in '{text}' must be a positive whole number with s, m, h, d or w (e.g. 30d), at most 100 years.");
        return null;
    }

    /// <summary><c>--expires-at</c>: an ISO 8601 date or instant; without an offset it is UTC.</summary>
    private static DateTimeOffset? ParseInstant(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) && IsoLike().IsMatch(text))
            return instant;
        result.AddError($"--expires-at '{text}' must be an ISO 8601 date or time, e.g. 2030-01-31 or 2030-01-31T12:00:00Z.");
        return null;
    }

    [GeneratedRegex(@"^(\d{1,12})([smhdw])$")]
    private static partial Regex DurationPattern();

    // TryParse alone also takes "1/2/2030" and "Jan 2": insist on year-month-day first.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ].+)?$")]
    private static partial Regex IsoLike();
}
