namespace Messaging.Cli.Api;

// Stacks (issue 16) as the CLI reads them; unknown fields are ignored, as for services.

internal sealed record CreateStackRequest(string Name, string ComposeFile, bool? KeepStartedOnFailure);

internal sealed record StackAccepted(Guid StackId, string Name, string Status, Guid CommandId);

internal sealed record StackView(
    Guid StackId, string Name, string Owner, string Status, StackFailureView? Failure,
    IReadOnlyList<StackMemberView> Members, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record StackFailureView(string Code, string Message, string? Member);

internal sealed record StackMemberView(string Member, Guid ServiceId, string? ServiceName, string Status, bool Public, int? HostPort, string? Health);
