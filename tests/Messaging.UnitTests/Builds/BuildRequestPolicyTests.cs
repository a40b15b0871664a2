using Messaging.Contracts;
using Messaging.Worker.Builds;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests.Builds;

/// <summary>
/// The worker's judgement of a <see cref="BuildImage"/> as it may arrive straight from the broker: every hostile or
/// malformed request is refused with its reason, and only a configured context with declared, accepted arguments passes.
/// </summary>
public sealed class BuildRequestPolicyTests
{
    private static readonly BuildRequestPolicy Policy = new(Options.Create(new BuildOptions
    {
        Contexts =
        [
            new BuildContextOptions
            {
                Name = "web", Directory = "/srv/contexts/web",
                Args =
                [
                    new BuildArgRule { Name = "GREETING" },
                    new BuildArgRule { Name = "VERSION", Pattern = "[0-9]+\\.[0-9]+" },
                    new BuildArgRule { Name = "API_TOKEN", Pattern = "[A-Za-z0-9]{8,64}", Secret = true },
                ],
            },
        ],
    }));

    private static BuildImage Valid(string context = "web", Dictionary<string, string>? args = null) => new()
    {
        CommandId = Guid.NewGuid(), BuildId = Guid.NewGuid(), Context = context, BuildArgs = args,
        RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow,
    };

    public static TheoryData<string, BuildImage, string> Hostile() => new()
    {
        { "no build id", Valid() with { BuildId = Guid.Empty }, BuildFailureReasons.InvalidCommand },
        { "no command id", Valid() with { CommandId = Guid.Empty }, BuildFailureReasons.InvalidCommand },
        { "no requester", Valid() with { RequestedBy = "" }, BuildFailureReasons.InvalidCommand },
        { "requester with a newline", Valid() with { RequestedBy = "alice\nadmin" }, BuildFailureReasons.InvalidCommand },
        { "a path for a context", Valid("/etc"), BuildFailureReasons.InvalidCommand },
        { "a relative path for a context", Valid("../web"), BuildFailureReasons.InvalidCommand },
        { "a URL for a context", Valid("https://evil.example/repo.git"), BuildFailureReasons.InvalidCommand },
        { "a tarball for a context", Valid("web.tar.gz"), BuildFailureReasons.InvalidCommand },
        { "an empty context", Valid(""), BuildFailureReasons.InvalidCommand },
        { "an upper-case context", Valid("WEB"), BuildFailureReasons.InvalidCommand },
        { "a context name too long", Valid(new string('a', 64)), BuildFailureReasons.InvalidCommand },
        { "a context nobody configured", Valid("other"), BuildFailureReasons.ContextNotFound },
        { "an argument the context does not declare", Valid(args: new() { ["HTTP_PROXY"] = "http://evil:3128" }), BuildFailureReasons.BuildArgNotAllowed },
        { "an argument name with a shell character", Valid(args: new() { ["A;rm"] = "x" }), BuildFailureReasons.InvalidCommand },
        { "an argument name starting with a digit", Valid(args: new() { ["1ABC"] = "x" }), BuildFailureReasons.InvalidCommand },
        { "a value with a newline", Valid(args: new() { ["GREETING"] = "hi\nRUN curl evil" }), BuildFailureReasons.InvalidCommand },
        { "a value with a NUL", Valid(args: new() { ["GREETING"] = "hi\0" }), BuildFailureReasons.InvalidCommand },
        { "a value too long", Valid(args: new() { ["GREETING"] = new string('a', 1025) }), BuildFailureReasons.InvalidCommand },
        { "a value outside the default rule", Valid(args: new() { ["GREETING"] = "$(id)" }), BuildFailureReasons.BuildArgNotAllowed },
        { "a value with spaces outside the default rule", Valid(args: new() { ["GREETING"] = "a b" }), BuildFailureReasons.BuildArgNotAllowed },
        { "a value outside the context's pattern", Valid(args: new() { ["VERSION"] = "1.2; rm -rf /" }), BuildFailureReasons.BuildArgNotAllowed },
        { "a pattern matched only in part", Valid(args: new() { ["VERSION"] = "x1.2x" }), BuildFailureReasons.BuildArgNotAllowed },
        { "a secret too short", Valid(args: new() { ["API_TOKEN"] = "short" }), BuildFailureReasons.BuildArgNotAllowed },
        { "too many arguments", Valid(args: Enumerable.Range(0, 33).ToDictionary(i => $"A{i}", _ => "x")), BuildFailureReasons.InvalidCommand },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_hostile_build_request_is_refused_with_its_reason(string why, BuildImage command, string reason)
    {
        var (approved, refusal) = Policy.Evaluate(command);
        Assert.Null(approved);
        Assert.True(refusal is not null, why);
        Assert.Equal(reason, refusal.Reason);
    }

    [Fact]
    public void A_refusal_never_echoes_a_value()
    {
        var (_, refusal) = Policy.Evaluate(Valid(args: new() { ["API_TOKEN"] = "tiny" }));
        Assert.DoesNotContain("tiny", refusal!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_context_with_accepted_arguments_passes_and_names_its_secrets()
    {
        var (approved, refusal) = Policy.Evaluate(Valid(args: new() { ["GREETING"] = "hey", ["VERSION"] = "1.2", ["API_TOKEN"] = "s3cretValue42" }));
        Assert.Null(refusal);
        Assert.Equal("web", approved!.Context.Name);
        Assert.Equal(["s3cretValue42"], approved.Secrets);
    }
}
