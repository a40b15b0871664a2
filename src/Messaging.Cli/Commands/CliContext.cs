using System.CommandLine;
using Messaging.Cli.Api;
using Messaging.Cli.Output;

namespace Messaging.Cli.Commands;

/// <summary>What a command body gets: the API client, the output streams and the <c>--json</c> choice.</summary>
internal sealed record Session(ApiClient Api, TextWriter Out, TextWriter Error, bool Json, CancellationToken CancellationToken)
{
    /// <summary>
    /// Prints an answer of the API: with <c>--json</c> its JSON as the API sent it, otherwise <paramref name="human"/>'s
    /// form of it. Returns the command's exit code.
    /// </summary>
    public int Print<T>(ApiResult<T> answer, Action<TextWriter, T> human)
    {
        if (Json)
            ServicePrinter.WriteJson(Out, answer.Json);
        else
            human(Out, answer.Value);
        return ExitCodes.Ok;
    }
}

/// <summary>
/// What every command shares: the global options, the streams and the environment of this run, and one
/// place that turns errors into a message on stderr and an exit code.
/// </summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?> environment)
{
    public Option<string> Url { get; } = new("--url")
    {
        Description = $"API base URL [default: ${CliApplication.UrlVariable}, else {CliApplication.DefaultUrl}]",
        Recursive = true,
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = $"Bearer token [default: ${CliApplication.TokenVariable}]",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON instead of a table",
        Recursive = true,
    };

    /// <summary>The action of a command: <paramref name="body"/> with a client built from the options and the environment.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Action(Func<ParseResult, Session, Task<int>> body) =>
        async (parse, cancellationToken) =>
        {
            try
            {
                using var api = new ApiClient(BaseAddress(parse), Bearer(parse));
                return await body(parse, new Session(api, stdout, stderr, parse.GetValue(Json), cancellationToken));
            }
            catch (ApiException e)
            {
                ProblemPrinter.Write(stderr, e.Problem);
                return ExitCodes.Failure;
            }
            catch (CliException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return e.ExitCode;
            }
        };

    private Uri BaseAddress(ParseResult parse)
    {
        var text = FirstSet(parse.GetValue(Url), Variable(CliApplication.UrlVariable)) ?? CliApplication.DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new CliException($"'{text}' is not an http(s) URL (from --url or ${CliApplication.UrlVariable}).", ExitCodes.Usage);
        // Relative paths resolve against the last '/': keep a path prefix such as https://host/messaging.
        return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
    }

    private string Bearer(ParseResult parse) =>
        FirstSet(parse.GetValue(Token), Variable(CliApplication.TokenVariable))
        ?? throw new CliException($"no API token: pass --token or set {CliApplication.TokenVariable}.", ExitCodes.Usage);

    private string? Variable(string name) => environment.GetValueOrDefault(name);

    // An empty variable (MESSAGING_TOKEN= in a script) counts as unset.
    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
