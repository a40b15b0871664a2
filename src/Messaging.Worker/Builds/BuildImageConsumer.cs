using MassTransit;
using Messaging.Contracts;
using Messaging.State.Builds;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>
/// Turns a <see cref="BuildImage"/> into an image tagged in the installation's namespace, or into
/// <see cref="ImageBuildFailed"/>. The command is judged again here (publisher, context, arguments); the context is
/// packed by the worker from the operator's directory; the build waits for a slot of this worker
/// (<see cref="BuildQueue"/>), then runs bounded (memory, CPU, network, timeout, log size). A finished build's command
/// delivered again publishes the same outcome and builds nothing.
/// </summary>
public sealed class BuildImageConsumer(
    BuildRequestPolicy policy,
    BuildQueue queue,
    BuildStore builds,
    BuiltImages images,
    EngineBuilds engine,
    EngineBuildCache cache,
    CommandIdentity identity,
    IHostEnvironment environment,
    IBus bus,
    TimeProvider clock,
    ILogger<BuildImageConsumer> logger) : IConsumer<BuildImage>
{
    public async Task Consume(ConsumeContext<BuildImage> context)
    {
        var command = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["BuildId"] = command.BuildId, ["CommandId"] = command.CommandId });
        var publisher = identity.Resolve(context, command.RequestedBy);
        if (publisher is null)
        {
            logger.LogWarning("Build command from an unverified publisher refused");
            await context.Publish(Failure(command, "", BuildFailureReasons.InvalidCommand, CommandIdentity.Unverified, []));
            return;
        }
        // The owner is who the publisher really is: another system's requestedBy is only a claim.
        command = command with { RequestedBy = publisher.Owner };
        var owner = publisher.Owner;

        var existing = command.BuildId == Guid.Empty ? null : await builds.GetAsync(command.BuildId);
        if (existing is not null && (existing.CommandId != command.CommandId || existing.Owner != owner))
        {
            logger.LogWarning("Build command refused: its build id belongs to another command");
            await context.Publish(Failure(command, owner, BuildFailureReasons.InvalidCommand, $"Build id {command.BuildId} already belongs to another command.", []));
            return;
        }
        if (existing is { IsFinished: true })
        {
            logger.LogInformation("Build command delivered again after its build ended ({Status}): outcome replayed", existing.Status);
            await context.Publish(Replay(existing));
            return;
        }

        var now = clock.GetUtcNow();
        var record = new BuildRecord
        {
            BuildId = command.BuildId, CommandId = command.CommandId, Context = command.Context, Owner = owner,
            Status = BuildStatus.Queued, ArgNames = [.. (command.BuildArgs?.Keys ?? []).Order(StringComparer.Ordinal)],
            CreatedAt = existing?.CreatedAt ?? now, UpdatedAt = now,
        };
        var (approved, refusal) = policy.Evaluate(command);
        if (refusal is not null)
        {
            // A malformed command gets a record only when the API already made one for it (its fields are not trusted).
            await Finish(context, record, refusal.Reason, refusal.Message, [], save: refusal.Reason != BuildFailureReasons.InvalidCommand || existing is not null);
            return;
        }
        if (!await builds.TryClaimAsync(record))
        {
            // Failed as never delivered (UndeliveredBuilds) before this command arrived: that is its outcome.
            logger.LogWarning("Build command arrived after its record was failed as never delivered");
            if (await builds.GetAsync(command.BuildId) is { IsFinished: true } expired)
                await context.Publish(Replay(expired));
            return;
        }

        using (await queue.EnterAsync(command.BuildId, position => builds.SetQueuePositionAsync(command.BuildId, position), context.CancellationToken))
        {
            record = record with { Status = BuildStatus.Building, QueuePosition = null, StartedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow() };
            await builds.SaveAsync(record);
            await Build(context, record, approved!);
            // Still holding the slot: no build of this worker runs while the cache shrinks.
            await cache.PruneAsync(CancellationToken.None);
        }
    }

    private async Task Build(ConsumeContext<BuildImage> context, BuildRecord record, ApprovedBuild build)
    {
        var settings = build.Context;
        MemorySize.TryParse(settings.MaxLogSize, out var maxLog);
        MemorySize.TryParse(settings.MaxContextSize, out var maxContext);
        var log = new BuildLog(build.Secrets, maxLog);

        PackedContext packed;
        try
        {
            var directory = Path.IsPathRooted(settings.Directory) ? settings.Directory : Path.Combine(environment.ContentRootPath, settings.Directory);
            packed = ContextPacker.Pack(directory, settings.Dockerfile, maxContext);
        }
        catch (ContextRefusedException e)
        {
            logger.LogWarning("Build context {Context} refused: {Reason}", settings.Name, e.Message);
            await Finish(context, record, BuildFailureReasons.ContextRefused, e.Message, []);
            return;
        }

        var tag = images.TagFor(build, packed, record.Owner);
        // Lines go out live as they come; each ending below completes the relay first, so the last lines are sent
        // before the record says the build ended, and the record's line count numbers its tail.
        await using var live = new LiveBuildLog(bus, record.BuildId, record.Owner, log, clock, logger);
        async Task<BuildRecord> Ended()
        {
            await live.CompleteAsync();
            return record with { LogLines = log.LineCount };
        }
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        bounded.CancelAfter(settings.Timeout);
        string? lastStepImage = null;
        log.Line += line =>
        {
            if (log.LimitExceeded)
                bounded.Cancel();
            lastStepImage = EngineBuilds.StepImageOf(line) ?? lastStepImage;
        };
        logger.LogInformation("Building {Context} ({Bytes} bytes, {Entries} entries) as {Tag}", settings.Name, packed.ContentBytes, packed.Entries, tag);
        EngineBuildResult result;
        try
        {
            result = await engine.BuildAsync(build, packed, tag, record.Owner, log, bounded.Token);
        }
        catch (Exception) when (bounded.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            var (reason, message) = log.LimitExceeded
                ? (BuildFailureReasons.LogLimitExceeded, $"The build wrote more than {settings.MaxLogSize} of log and was stopped.")
                : (BuildFailureReasons.Timeout, $"The build ran longer than {settings.Timeout} and was stopped.");
            await engine.RemoveLeftoversAsync(lastStepImage, CancellationToken.None);
            await Finish(context, await Ended(), reason, message, log.Tail());
            return;
        }
        catch (ContainerRuntimeException e)
        {
            await Finish(context, await Ended(), e.Reason, log.MaskSecrets(e.Message), log.Tail());
            return;
        }

        if (result.Error is { } error)
        {
            await engine.RemoveLeftoversAsync(lastStepImage, CancellationToken.None);
            var message = log.MaskSecrets(error);
            log.AppendLine(message);
            // A step killed by the kernel's OOM killer exits 137 (SIGKILL) under the step's memory limit.
            var reason = error.Contains("non-zero code: 137", StringComparison.Ordinal) ? BuildFailureReasons.OutOfMemory : BuildFailureReasons.BuildFailed;
            await Finish(context, await Ended(), reason, reason == BuildFailureReasons.OutOfMemory
                ? $"A build step was killed (exit 137), most likely for exceeding the context's memory limit of {settings.Memory}: {message}"
                : message, log.Tail());
            return;
        }

        record = await Ended();
        var now = clock.GetUtcNow();
        record = record with
        {
            Status = BuildStatus.Succeeded, Image = tag, ImageId = result.ImageId, LogTail = log.Tail(), UpdatedAt = now, FinishedAt = now,
        };
        await builds.SaveAsync(record);
        await context.Publish(Replay(record));
        try
        {
            var removed = await engine.PruneAsync(settings.Name, settings.KeepImages, CancellationToken.None);
            if (removed > 0)
                logger.LogInformation("Removed {Count} older images of {Context} (KeepImages {Keep})", removed, settings.Name, settings.KeepImages);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Pruning older images of {Context} failed; the next build tries again", settings.Name);
        }
    }

    private async Task Finish(ConsumeContext<BuildImage> context, BuildRecord record, string reason, string message, IReadOnlyList<string> tail, bool save = true)
    {
        var now = clock.GetUtcNow();
        record = record with
        {
            Status = BuildStatus.Failed, QueuePosition = null, FailureCode = reason, FailureMessage = message, LogTail = tail, UpdatedAt = now, FinishedAt = now,
        };
        if (save)
            await builds.SaveAsync(record);
        logger.LogInformation("Build of {Context} failed: {Reason}", record.Context, reason);
        await context.Publish(Failure(context.Message, record.Owner, reason, message, tail) with { FailedAt = now });
    }

    private ImageBuildFailed Failure(BuildImage command, string owner, string reason, string message, IReadOnlyList<string> tail) => new()
    {
        CommandId = command.CommandId, BuildId = command.BuildId, Context = command.Context, Owner = owner,
        Reason = reason, Message = message, LogTail = tail, FailedAt = clock.GetUtcNow(),
    };

    /// <summary>The event a finished record stands for (a redelivered command gets the same one again).</summary>
    private static object Replay(BuildRecord record) => record.Status == BuildStatus.Succeeded
        ? new ImageBuilt
        {
            CommandId = record.CommandId, BuildId = record.BuildId, Context = record.Context, Owner = record.Owner,
            Image = record.Image ?? "", ImageId = record.ImageId ?? "", LogTail = record.LogTail, BuiltAt = record.FinishedAt ?? record.UpdatedAt,
        }
        : new ImageBuildFailed
        {
            CommandId = record.CommandId, BuildId = record.BuildId, Context = record.Context, Owner = record.Owner,
            Reason = record.FailureCode ?? BuildFailureReasons.DockerError, Message = record.FailureMessage ?? "",
            LogTail = record.LogTail, FailedAt = record.FinishedAt ?? record.UpdatedAt,
        };
}

/// <summary>Delivery policy of <see cref="BuildImageConsumer"/>: the queue <c>builds</c>, up to <c>Builds:MaxQueuedBuilds</c> taken at once.</summary>
public sealed class BuildImageConsumerDefinition : ConsumerDefinition<BuildImageConsumer>
{
    private readonly int _taken;

    public BuildImageConsumerDefinition(IOptions<BuildOptions> options)
    {
        EndpointName = CommandQueues.Builds;
        _taken = Math.Max(1, options.Value.MaxQueuedBuilds);
        ConcurrentMessageLimit = _taken;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<BuildImageConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _taken;
        // No retry: a failed build is an outcome, and an engine fault mid-build should not silently build twice.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}

/// <summary>Fails start-up with every problem of the build configuration listed.</summary>
public sealed class BuildOptionsValidator(IOptions<Policy.ImagePolicyOptions> policy) : IValidateOptions<BuildOptions>
{
    public ValidateOptionsResult Validate(string? name, BuildOptions options)
    {
        var problems = options.Problems(policy.Value).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>The builds capability in the worker's container.</summary>
public static class BuildRegistration
{
    public static IServiceCollection AddBuilds(this IServiceCollection services)
    {
        services.AddOptions<BuildOptions>().BindConfiguration(BuildOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BuildOptions>, BuildOptionsValidator>();
        services.AddSingleton<BuildRequestPolicy>();
        services.AddSingleton<BuildQueue>();
        services.AddSingleton<EngineBuilds>();
        services.AddSingleton<EngineBuildCache>();
        services.AddSingleton<BuiltImages>();
        services.AddHostedService<UndeliveredBuilds>();
        return services;
    }

    public static void AddBuildConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<BuildImageConsumer, BuildImageConsumerDefinition>();
}
