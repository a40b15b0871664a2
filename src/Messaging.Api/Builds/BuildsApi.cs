using FluentValidation;
using MassTransit;
using Messaging.Api.Services;
using Messaging.Contracts;
using Messaging.State.Builds;
using Messaging.Validation;

namespace Messaging.Api.Builds;

/// <summary>Body of <c>POST /api/v1/builds</c>: a context's name and values of build arguments it declares. Nothing else: no path, archive or URL.</summary>
public sealed record CreateBuildRequest
{
    public string? Context { get; init; }
    public IReadOnlyDictionary<string, string>? Args { get; init; }
}

/// <summary>The shared syntax rules (<see cref="BuildRules"/>); which contexts and values are allowed is the worker's to say.</summary>
public sealed class CreateBuildRequestValidator : AbstractValidator<CreateBuildRequest>
{
    public CreateBuildRequestValidator() =>
        RuleFor(r => r).Custom((request, context) =>
        {
            foreach (var (field, message) in BuildRules.SyntaxProblems(request.Context, request.Args))
                context.AddFailure(field, message);
        });
}

/// <summary>Body of the 202 answer.</summary>
public sealed record BuildAccepted(Guid BuildId, string Context, string Status, Guid CommandId);

/// <summary>A build as the API shows it; the log tail is masked by the worker (secret arguments never reach Redis).</summary>
public sealed record BuildView(
    Guid BuildId, string Context, string Owner, string Status, int? QueuePosition, IReadOnlyList<string> Args, string? Image, string? ImageId,
    BuildFailureView? Failure, IReadOnlyList<string> LogTail, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public static BuildView Of(BuildRecord r) => new(
        r.BuildId, r.Context, r.Owner, r.Status, r.QueuePosition, r.ArgNames, r.Image, r.ImageId,
        r.FailureCode is null ? null : new BuildFailureView(r.FailureCode, r.FailureMessage ?? ""), r.LogTail,
        r.CreatedAt, r.UpdatedAt, r.StartedAt, r.FinishedAt);
}

public sealed record BuildFailureView(string Code, string Message);

/// <summary>
/// <c>/builds</c> (issue 17): ask for a build of an operator's context, and follow it. Scope <c>images:build</c> for both;
/// another owner's build answers 404, as a service does.
/// </summary>
public static class BuildsApi
{
    public static RouteGroupBuilder MapBuildsApi(this RouteGroupBuilder api)
    {
        var builds = api.MapGroup("/builds").WithTags("Builds").RequireAuthorization(Auth.Scopes.ImagesBuild);
        builds.MapPost("/", Create).WithName("CreateBuild")
            .WithSummary("Build an image from one of the operator's build contexts.").ProducesProblem(400);
        builds.MapGet("/", List).WithName("ListBuilds").WithSummary("The caller's newest builds (everyone's for admin).");
        builds.MapGet("/{buildId:guid}/logs", BuildLogsEndpoint.Handle).WithName("BuildLogs")
            .WithSummary("A build's log lines as Server-Sent Events, live with follow=true, ending with an end event.").ProducesProblem(404);
        builds.MapGet("/{buildId:guid}", Get).WithName("GetBuild").WithSummary("One build: status, queue position, image, failure, log tail.").ProducesProblem(404);
        return builds;
    }

    private static async Task<Results<Accepted<BuildAccepted>, ProblemHttpResult>> Create(
        Validated<CreateBuildRequest> request, ClaimsPrincipal user, BuildStore builds, CommandPublisher publisher, TimeProvider clock)
    {
        var body = request.Value;
        var now = clock.GetUtcNow();
        var command = new BuildImage
        {
            CommandId = NewId.NextGuid(), BuildId = Guid.NewGuid(), Context = body.Context!, BuildArgs = body.Args,
            RequestedBy = user.Id(), RequestedAt = now,
        };
        var pending = new BuildRecord
        {
            BuildId = command.BuildId, CommandId = command.CommandId, Context = command.Context, Owner = command.RequestedBy,
            Status = BuildStatus.Pending, ArgNames = [.. (body.Args?.Keys ?? []).Order(StringComparer.Ordinal)], CreatedAt = now, UpdatedAt = now,
            Unconfirmed = true,
        };
        await builds.TryCreateAsync(pending);
        // An unconfirmed publish leaves the record pending and marked: a worker's claim clears it, else the worker's
        // sweep fails it not_delivered after Builds:UnconfirmedPendingExpiry.
        if (await publisher.PublishPendingAsync(command,
                notDelivered: () => builds.SaveAsync(pending with { Unconfirmed = false, Status = BuildStatus.Failed, FailureCode = BuildFailureReasons.NotDelivered, FailureMessage = "The broker did not take the command.", FinishedAt = now }),
                confirmed: () => builds.ConfirmPendingAsync(command.BuildId)) is { } refused)
            return refused;
        return TypedResults.Accepted($"/api/v1/builds/{command.BuildId}", new BuildAccepted(command.BuildId, command.Context, BuildStatus.Pending, command.CommandId));
    }

    private static async Task<Ok<IReadOnlyList<BuildView>>> List(ClaimsPrincipal user, BuildStore builds)
    {
        var views = new List<BuildView>();
        foreach (var id in await builds.IdsAsync(user.VisibleOwner(), 50))
        {
            if (await builds.GetAsync(id) is { } build)
                views.Add(BuildView.Of(build));
        }
        return TypedResults.Ok<IReadOnlyList<BuildView>>(views);
    }

    private static async Task<Results<Ok<BuildView>, ProblemHttpResult>> Get(Guid buildId, ClaimsPrincipal user, BuildStore builds) =>
        await builds.GetAsync(buildId) is { } build && user.MaySee(build.Owner)
            ? TypedResults.Ok(BuildView.Of(build))
            : Problems.BuildNotFound(buildId);
}
