using Messaging.Contracts;

namespace Messaging.UnitTests;

/// <summary>Commands shared by the validator, policy and spec-builder tests.</summary>
internal static class TestCommands
{
    /// <summary>A command every rule accepts; tests change one field with <c>with</c>.</summary>
    public static CreateService Valid() => new()
    {
        CommandId = Guid.NewGuid(),
        ServiceId = Guid.NewGuid(),
        ServiceName = "my-nginx",
        Image = "nginx:alpine",
        MemoryLimit = "128m",
        CpuLimit = 0.5,
        RequestedBy = "admin",
        RequestedAt = DateTimeOffset.UtcNow,
    };
}
