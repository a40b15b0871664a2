using Messaging.Stacks.Templates;

namespace Messaging.UnitTests.Stacks;

public sealed class StackTemplateTests
{
    private const string Header = """
        x-template:
          name: kv
          version: 3
          params:
            password: {type: generated_secret}
            user: {type: string, default: app}
            api_key: {type: secret}
            host: {type: hostname, default: store.example.test}
            port: {type: port, default: "6379"}
            workers: {type: int, default: "4"}
        """;

    private const string Body = """

        services:
          store:
            image: redis:7
            environment:
              PASSWORD: ${password}
              USER: ${user}
              API_KEY: ${api_key}
              HOST: ${host}
              WORKERS: ${workers}
              PRICE: $$5
            expose: ["${port}"]
        """;

    private static StackTemplate Template(string text = Header + Body)
    {
        var (template, problems) = StackTemplate.Parse(text);
        Assert.True(template is not null, string.Join("; ", problems));
        return template;
    }

    [Fact]
    public void The_header_declares_name_version_and_typed_params()
    {
        var template = Template();
        Assert.Equal(("kv", 3), (template.Name, template.Version));
        Assert.Equal(["password", "user", "api_key", "host", "port", "workers"], template.Parameters.Select(p => p.Name));
        Assert.Equal(ParameterType.GeneratedSecret, template.Parameters[0].Type);
        Assert.True(template.Parameters.Single(p => p.Name == "api_key").Required);
        Assert.False(template.Parameters.Single(p => p.Name == "password").Required);
        Assert.Equal(["store"], template.Services);
    }

    [Fact]
    public void Rendering_puts_values_in_defaults_for_the_rest_and_generates_secrets_each_time()
    {
        var template = Template();
        var (first, problems) = template.Render(new Dictionary<string, string> { ["api_key"] = "k-1", ["port"] = "7000" });
        Assert.Empty(problems);
        var store = Assert.Single(first!.Definition.Members);
        Assert.Equal("k-1", store.Environment["API_KEY"]);
        Assert.Equal("app", store.Environment["USER"]);
        Assert.Equal("$5", store.Environment["PRICE"]);
        Assert.Equal(7000, store.InternalPort);
        Assert.Equal(first.Generated["password"], store.Environment["PASSWORD"]);

        var (second, _) = template.Render(new Dictionary<string, string> { ["api_key"] = "k-1" });
        Assert.NotEqual(first.Generated["password"], second!.Generated["password"]);
    }

    [Theory]
    [InlineData("port", "0", "params.port")]
    [InlineData("port", "80:80", "params.port")]
    [InlineData("workers", "many", "params.workers")]
    [InlineData("host", "evil host;rm", "params.host")]
    [InlineData("password", "chosen", "params.password")]
    [InlineData("unknown", "x", "params.unknown")]
    public void A_bad_value_is_refused_at_its_param(string name, string value, string path)
    {
        var values = new Dictionary<string, string> { ["api_key"] = "k", [name] = value };
        var (rendered, problems) = Template().Render(values);
        Assert.Null(rendered);
        Assert.Contains(problems, p => p.Path == path);
    }

    [Fact]
    public void A_missing_required_param_is_refused()
    {
        var (_, problems) = Template().Render(null);
        Assert.Contains(problems, p => p.Path == "params.api_key" && p.Message.Contains("required", StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_cannot_add_keys_to_the_file()
    {
        var (rendered, problems) = Template().Render(new Dictionary<string, string> { ["api_key"] = "x\n    privileged: true\n" });
        Assert.Empty(problems);
        Assert.Equal("x\n    privileged: true\n", rendered!.Definition.Members[0].Environment["API_KEY"]);
    }

    [Fact]
    public void A_value_that_makes_the_stack_invalid_is_refused_at_the_stack_path()
    {
        var text = Header.Replace("    workers:", "    image: {type: string, default: \"nginx:alpine\"}\n    workers:", StringComparison.Ordinal)
            + Body.Replace("image: redis:7", "image: ${image}", StringComparison.Ordinal);
        var (rendered, problems) = Template(text).Render(new Dictionary<string, string> { ["api_key"] = "k", ["image"] = "NOT AN IMAGE" });
        Assert.Null(rendered);
        Assert.Contains(problems, p => p.Path == "services.store.image");
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: nginx:alpine\n", "x-template")]
    [InlineData("x-template:\n  name: Bad_Name\n  version: 1\nservices:\n  web:\n    image: nginx:alpine\n", "x-template.name")]
    [InlineData("x-template:\n  name: ok\n  version: 0\nservices:\n  web:\n    image: nginx:alpine\n", "x-template.version")]
    [InlineData("x-template:\n  name: ok\n  version: 1\n  params:\n    p: {type: float}\nservices:\n  web:\n    image: nginx:alpine\n", "x-template.params.p.type")]
    [InlineData("x-template:\n  name: ok\n  version: 1\n  params:\n    p: {type: secret, default: hunter2}\nservices:\n  web:\n    image: nginx:alpine\n", "x-template.params.p.default")]
    [InlineData("x-template:\n  name: ok\n  version: 1\n  params:\n    p: {type: port, default: \"99999\"}\nservices:\n  web:\n    image: nginx:alpine\n", "x-template.params.p.default")]
    [InlineData("x-template:\n  name: ok\n  version: 1\nservices:\n  web:\n    image: ${nope}\n", "services.web.image")]
    [InlineData("x-template:\n  name: ok\n  version: 1\nservices:\n  web:\n    image: nginx:alpine\n    privileged: true\n", "services.web.privileged")]
    public void A_bad_template_is_refused_when_it_is_read(string text, string path)
    {
        var (template, problems) = StackTemplate.Parse(text);
        Assert.Null(template);
        Assert.Contains(problems, p => p.Path == path);
    }

    [Fact]
    public void The_shipped_catalogue_is_valid()
    {
        var (templates, problems) = Messaging.Api.Templates.TemplateCatalogue.Load(Path.Combine(AppContext.BaseDirectory, "templates"));
        Assert.Empty(problems);
        Assert.NotEmpty(templates);
    }
}
