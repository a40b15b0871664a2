using System.Security.Claims;
using System.Text.Json;
using FluentValidation;
using MassTransit;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.Contracts;
using Messaging.Records;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Services;

public static class ServicesApi
{
    public static RouteGroupBuilder MapServicesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/services").WithTags("Services");

        group.MapPost("/", CreateService)
            .RequireAuthorization(Scopes.ServicesWrite)
            .Accepts<CreateServiceRequest>("application/json")
            .WithName("CreateService")
            .WithSummary("Ask for a container; answered once the broker has the command.");
        group.MapGet("/{serviceId:guid}", GetService)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("GetService")
            .WithSummary("One service record.");
        return group;
    }

    public static async Task<Results<Accepted<ServiceAccepted>, ValidationProblem, ProblemHttpResult>> CreateService(
        HttpRequest request,
        ClaimsPrincipal user,
        IValidator<CreateServiceRequest> validator,
        ServiceRecordStore records,
        IPublishEndpoint publisher,
        IOptions<PublishOptions> publishing,
        TimeProvider clock,
        ILogger<CreateServiceRequest> logger)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateServiceRequest>(request);
        if (problem is not null)
            return problem;

        var validation = await validator.ValidateAsync(body!);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors
                .GroupBy(e => JsonNamingPolicy.SnakeCaseLower.ConvertName(e.PropertyName))
                .ToDictionary(g => g.Key, g => g.Select(e => $"{g.Key} {e.ErrorMessage}").ToArray()));
        }

        if (await records.FindIdByNameAsync(body!.ServiceName!) is not null)
            return TypedResults.Problem(statusCode: 409, title: "Name taken", detail: $"A service named '{body.ServiceName}' exists.");

        var now = clock.GetUtcNow();
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(),
            ServiceId = Guid.NewGuid(),
            ServiceName = body.ServiceName!,
            Image = body.Image!,
            MemoryLimit = body.MemoryLimit!,
            CpuLimit = body.CpuLimit!.Value,
            InternalPort = body.InternalPort,
            Env = body.Env,
            RequestedBy = user.Id(),
            RequestedAt = now,
        };
        await records.TryCreateAsync(new ServiceRecord
        {
            ServiceId = command.ServiceId,
            CommandId = command.CommandId,
            Name = command.ServiceName,
            Image = command.Image,
            Owner = command.RequestedBy,
            Status = ServiceStatus.Pending,
            MemoryLimit = command.MemoryLimit,
            CpuLimit = command.CpuLimit,
            InternalPort = command.InternalPort,
            CreatedAt = now,
            UpdatedAt = now,
        });

        try
        {
            // MassTransit returns only once RabbitMQ confirmed the publish: a 202 means the broker has it.
            using var timeout = new CancellationTokenSource(publishing.Value.ConfirmTimeout);
            await publisher.Publish(command, timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError("Publishing CreateService {CommandId} failed: {Message}", command.CommandId, e.Message);
            await records.DeletePendingAsync(command.ServiceId, command.CommandId, command.RequestedBy);
            return TypedResults.Problem(statusCode: 503, title: "Broker unavailable",
                detail: "The command could not be handed to the message broker; nothing was created. Try again.");
        }

        return TypedResults.Accepted($"/api/v1/services/{command.ServiceId}",
            new ServiceAccepted(command.ServiceId, command.ServiceName, ServiceStatus.Pending));
    }

    public static async Task<Results<Ok<ServiceView>, ProblemHttpResult>> GetService(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records)
    {
        var record = await records.GetAsync(serviceId);
        // Another owner's service is indistinguishable from a missing one.
        if (record is null || (record.Owner != user.Id() && !user.Has(Scopes.Admin)))
            return TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"No service {serviceId}.");
        return TypedResults.Ok(ServiceView.From(record));
    }
}
