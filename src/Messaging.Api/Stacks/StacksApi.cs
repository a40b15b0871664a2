using MassTransit;
using Messaging.Api.Services;
using Messaging.Contracts;
using Messaging.Stacks.Compose;
using Messaging.State;
using Messaging.State.Stacks;

namespace Messaging.Api.Stacks;

/// <summary>
/// <c>/stacks</c>: create a stack from a compose file, read it with its members, and run the lifecycle of all its
/// members at once. Same scopes as services: reading needs <c>services:read</c>, the rest <c>services:write</c>
/// (a stack is a set of services). Another owner's stack answers 404, like a service.
/// </summary>
public static class StacksApi
{
    public static RouteGroupBuilder MapStacksApi(this RouteGroupBuilder api)
    {
        var stacks = api.MapGroup("/stacks").WithTags("Stacks");
        var reads = stacks.MapGroup("").RequireAuthorization(Scopes.ServicesRead);
        var writes = stacks.MapGroup("").RequireAuthorization(Scopes.ServicesWrite);

        writes.MapPost("/", Create).WithName("CreateStack")
            .WithSummary("Run every service of a compose file as one stack, created whole or not at all.").ProducesProblem(400);
        reads.MapGet("/", List).WithName("ListStacks").WithSummary("The caller's stacks (everyone's for admin), with each member's status.");
        reads.MapGet("/{stackId:guid}", Get).WithName("GetStack").WithSummary("One stack and each member's status.").ProducesProblem(404);
        writes.MapPost("/{stackId:guid}/stop", StackLifecycle.Send<StopService>).WithName("StopStack").WithSummary("Stop every running member.").ProducesProblem(404);
        writes.MapPost("/{stackId:guid}/start", StackLifecycle.Send<StartService>).WithName("StartStack").WithSummary("Start every stopped member.").ProducesProblem(404);
        writes.MapPost("/{stackId:guid}/restart", StackLifecycle.Send<RestartService>).WithName("RestartStack").WithSummary("Restart every member.").ProducesProblem(404);
        writes.MapDelete("/{stackId:guid}", Remove).WithName("RemoveStack")
            .WithSummary("Remove every member and the stack's network.").ProducesProblem(404);
        return stacks;
    }

    private static async Task<Results<Accepted<StackAccepted>, ProblemHttpResult>> Create(
        Validated<CreateStackRequest> request, ClaimsPrincipal user, StackStore stacks, CommandPublisher publisher,
        Templates.TemplateCatalogue templates, TimeProvider clock)
    {
        var body = request.Value;
        var composeFile = body.ComposeFile;
        IReadOnlyDictionary<string, string>? generated = null;
        if (body.Template is not null)
        {
            if (await templates.FindAsync(body.Template, body.Version) is not { } template)
                return Problems.TemplateNotFound(body.Template, body.Version);
            var (rendered, problems) = template.Render(body.Params);
            if (rendered is null)
                return Problems.TemplateRefused([.. problems.Select(p => (p.Path, p.Message))]);
            (composeFile, generated) = (rendered.ComposeFile, rendered.Generated.Count > 0 ? rendered.Generated : null);
        }
        // The worker parses the file again (commands may come from elsewhere); here it spares a round trip and
        // names the offending key for the caller.
        var parsed = ComposeSubset.Parse(composeFile!);
        if (!parsed.IsValid)
            return Problems.StackFileRefused([.. parsed.Problems.Select(p => (p.Path, p.Message))]);

        var now = clock.GetUtcNow();
        var command = new CreateStack
        {
            CommandId = NewId.NextGuid(), StackId = Guid.NewGuid(), StackName = body.Name!, ComposeFile = composeFile!,
            KeepStartedOnFailure = body.KeepStartedOnFailure ?? false, RequestedBy = user.Id(), RequestedAt = now,
        };
        var pending = new StackRecord
        {
            StackId = command.StackId, CommandId = command.CommandId, Name = command.StackName, Owner = command.RequestedBy,
            Status = StackStatus.Pending, CreatedAt = now, UpdatedAt = now,
        };
        await stacks.TryCreateAsync(pending);
        if (await publisher.PublishPendingAsync(command, notDelivered: () => stacks.SaveAsync(pending with
            {
                Status = StackStatus.Failed, FailureCode = FailureReasons.NotDelivered, FailureMessage = "The broker did not take the command.",
            })) is { } refused)
            return refused;
        return TypedResults.Accepted($"/api/v1/stacks/{command.StackId}",
            new StackAccepted(command.StackId, command.StackName, StackStatus.Pending, command.CommandId) { GeneratedSecrets = generated });
    }

    private static async Task<Ok<IReadOnlyList<StackView>>> List(ClaimsPrincipal user, StackStore stacks, ServiceRecordStore records)
    {
        var views = new List<StackView>();
        foreach (var id in await stacks.IdsAsync(user.VisibleOwner()))
        {
            if (await stacks.GetAsync(id) is { } stack && stack.Status != StackStatus.Removed)
                views.Add(await StackView.OfAsync(stack, records));
        }
        return TypedResults.Ok<IReadOnlyList<StackView>>([.. views.OrderBy(v => v.CreatedAt)]);
    }

    private static async Task<Results<Ok<StackView>, ProblemHttpResult>> Get(Guid stackId, ClaimsPrincipal user, StackStore stacks, ServiceRecordStore records) =>
        await stacks.FindVisibleAsync(stackId, user) is { } stack
            ? TypedResults.Ok(await StackView.OfAsync(stack, records))
            : Problems.StackNotFound(stackId);

    private static async Task<Results<Accepted<StackAccepted>, ProblemHttpResult>> Remove(
        Guid stackId, ClaimsPrincipal user, StackStore stacks, CommandPublisher publisher, TimeProvider clock)
    {
        if (await stacks.FindVisibleAsync(stackId, user) is not { } stack || stack.Status == StackStatus.Removed)
            return Problems.StackNotFound(stackId);
        var command = new RemoveStack { CommandId = NewId.NextGuid(), StackId = stackId, RequestedBy = user.Id(), RequestedAt = clock.GetUtcNow() };
        if (await publisher.PublishAsync(command) is not PublishOutcome.Confirmed)
            return Problems.BrokerUnavailable(undone: false);
        return TypedResults.Accepted($"/api/v1/stacks/{stackId}", new StackAccepted(stackId, stack.Name, stack.Status, command.CommandId));
    }

    /// <summary>The stack if the caller may see it (its owner or an admin), else null.</summary>
    public static async Task<StackRecord?> FindVisibleAsync(this StackStore stacks, Guid stackId, ClaimsPrincipal user) =>
        await stacks.GetAsync(stackId) is { } stack && user.MaySee(stack.Owner) ? stack : null;
}
