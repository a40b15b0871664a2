using System.CommandLine;
using Messaging.Cli.Api;
using Messaging.Cli.Output;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>create NAME IMAGE [--memory 128m] [--cpus 0.5] [--port 80] [--env K=V]... [--wait]</c>. Limits left out are
/// left out of the request too: the worker applies the image's defaults from its allowlist, which the CLI cannot know.
/// Or <c>create NAME --template T [--template-version N] [--param K=V]...</c>: a one-service template of the API's catalogue;
/// secrets it generates are printed once, as the API shows them once.
/// </summary>
internal static class CreateCommand
{
    public static Command Build(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "Service name: 2-63 characters of a-z, 0-9 and '-'" };
        var image = new Argument<string?>("image") { Description = "Image, e.g. nginx:alpine (the worker allows only its allowlist); none with --template", Arity = ArgumentArity.ZeroOrOne };
        var template = new Option<string?>("--template") { Description = "Create from this template of the catalogue instead of an image" };
        var templateVersion = new Option<int?>("--template-version") { Description = "The template's version [default: its newest]" };
        var param = new Option<string[]>("--param") { Description = "Template parameter K=V (repeat for more)" };
        var memory = new Option<string?>("--memory", "-m") { Description = "Memory limit: a whole number with b, k, m or g [default: the image's]" };
        var cpus = new Option<double?>("--cpus") { Description = "CPU limit in cores [default: the image's]" };
        var port = new Option<int?>("--port", "-p") { Description = "Port the container listens on [default: the image's]" };
        var env = new Option<string[]>("--env", "-e") { Description = "Environment variable K=V (repeat for more)" };
        // Checked here so that a typo is a usage error (exit 2); the API still checks names and sizes.
        env.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.IndexOf('=') < 1))
                result.AddError($"--env '{token.Value}' must be NAME=VALUE.");
        });
        param.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.IndexOf('=') < 1))
                result.AddError($"--param '{token.Value}' must be NAME=VALUE.");
        });
        var wait = new WaitOptions();

        var command = new Command("create", "Ask for a new service; --wait until it runs (or failed)")
            { name, image, memory, cpus, port, env, template, templateVersion, param };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(image) is null) == (result.GetValue(template) is null))
                result.AddError("Give an IMAGE or --template, not both.");
        });
        wait.AddTo(command);
        command.SetAction(cli.Action(async (parse, session) =>
        {
            var request = new CreateServiceRequest(
                parse.GetValue(name)!, parse.GetValue(image), parse.GetValue(memory), parse.GetValue(cpus), parse.GetValue(port),
                Pairs(parse.GetValue(env)))
            {
                Template = parse.GetValue(template),
                Version = parse.GetValue(templateVersion),
                Params = Pairs(parse.GetValue(param)),
            };
            var accepted = await session.Api.CreateAsync(request, session.CancellationToken);
            // Shown once by the API, so shown here before anything else can fail (with --json: in the API's body, printed as it is).
            if (!session.Json)
            {
                foreach (var (secret, value) in accepted.Value.GeneratedSecrets ?? new Dictionary<string, string>())
                    session.Out.WriteLine($"generated {secret}: {value} (shown once; keep it now)");
            }

            var waiter = wait.For(parse, session);
            if (waiter is null)
                return session.Print(accepted, (output, value) => output.WriteLine($"{value.ServiceName} accepted ({value.Status}), id {value.ServiceId}"));

            var goal = new WaitGoal(ServiceStatus.Running, [ServiceStatus.Pending, ServiceStatus.Creating], ChangedAfter: null);
            var final = (await waiter.WaitAsync(accepted.Value.ServiceId, accepted.Value.ServiceName, goal))!;
            return session.Print(final, ServicePrinter.WriteDetails);
        }));
        return command;
    }

    private static Dictionary<string, string>? Pairs(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0)
            return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var split = pair.IndexOf('=');
            result[pair[..split]] = pair[(split + 1)..]; // the last of repeated names wins, as with docker run -e
        }
        return result;
    }
}
