using Messaging.Stacks.Templates;

namespace Messaging.UnitTests.Stacks;

/// <summary>A service saved as a template reads back as a valid template that makes the same service, whatever its text holds.</summary>
public sealed class ServiceTemplateWriterTests
{
    [Fact]
    public void A_saved_service_reads_back_as_a_template_with_its_image_limits_and_port()
    {
        var text = ServiceTemplateWriter.Write("saved-web", 3, "from web1", "web", "nginx:alpine", "128m", 0.5, 8080);
        var (template, problems) = StackTemplate.Parse(text);

        Assert.Empty(problems);
        Assert.Equal(("saved-web", 3), (template!.Name, template.Version));
        var member = Assert.Single(template.Render(null).Rendered!.Definition.Members);
        Assert.Equal(("nginx:alpine", "128m", 0.5, 8080, true), (member.Image, member.MemoryLimit, member.CpuLimit, member.InternalPort, member.IsPublic));
    }

    [Fact]
    public void A_description_that_looks_like_yaml_stays_one_string()
    {
        var text = ServiceTemplateWriter.Write("saved-web", 1, "x\nservices:\n  evil:\n    privileged: true", "web", "nginx:alpine", null, null, null);
        var (template, problems) = StackTemplate.Parse(text);

        Assert.Empty(problems);
        Assert.Equal("x\nservices:\n  evil:\n    privileged: true", template!.Description);
        Assert.Equal(["web"], template.Services);
    }
}
