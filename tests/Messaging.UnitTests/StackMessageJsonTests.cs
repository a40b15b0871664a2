using System.Text.Json;
using Messaging.Audit;
using Messaging.Contracts;

namespace Messaging.UnitTests;

/// <summary>
/// A stack's messages as the audit trail, the live events and webhooks write them: snake_case with the stack id, and
/// never the compose file, whose environment may hold secrets (a template's generated ones included).
/// </summary>
public sealed class StackMessageJsonTests
{
    [Fact]
    public void The_compose_file_of_a_create_stack_is_kept_only_as_its_size()
    {
        var stackId = Guid.NewGuid();
        const string file = "services:\n  web:\n    image: nginx:alpine\n    environment:\n      DB_PASSWORD: s3cret-value\n";
        var json = MessageJson.Serialize(new CreateStack
        {
            CommandId = Guid.NewGuid(), StackId = stackId, StackName = "shop", ComposeFile = file, RequestedBy = "alice",
            RequestedAt = DateTimeOffset.UtcNow,
        });

        Assert.DoesNotContain("s3cret-value", json, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        Assert.Equal($"{MessageJson.Redacted} {file.Length} characters", document.RootElement.GetProperty("compose_file").GetString());
        Assert.Equal(stackId, document.RootElement.GetProperty("stack_id").GetGuid());
        Assert.Equal("shop", document.RootElement.GetProperty("stack_name").GetString());
    }

    [Fact]
    public void A_stack_event_is_written_whole()
    {
        var json = MessageJson.Serialize(new StackCreated
        {
            CommandId = Guid.NewGuid(), StackId = Guid.NewGuid(), StackName = "shop", Owner = "alice",
            Members = [new StackMemberState { Member = "web", ServiceId = Guid.NewGuid(), ServiceName = "shop-web", HostPort = 14000 }],
        });

        using var document = JsonDocument.Parse(json);
        var member = Assert.Single(document.RootElement.GetProperty("members").EnumerateArray());
        Assert.Equal("shop-web", member.GetProperty("service_name").GetString());
        Assert.Equal(14000, member.GetProperty("host_port").GetInt32());
    }
}
