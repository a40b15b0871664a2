using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Messaging.Api.Services;
using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

/// <summary>
/// Generated requests, near the edges of every rule: the API and the worker must agree on each one,
/// and nothing the worker approves may break a cap or leave the allowlist.
/// </summary>
public sealed class ValidatorAgreementProperties
{
    private static readonly CreateServiceRequestValidator Api = new();
    private static readonly CreateServiceCommandValidator Worker = new();

    private static readonly ImagePolicyOptions Options = new()
    {
        MaxMemory = "1g",
        MaxCpus = 2,
        AllowedImages =
        [
            new AllowedImage { Image = "nginx:alpine", MaxMemory = "512m", MaxCpus = 1 },
            new AllowedImage { Image = "redis:7" },
        ],
    };

    private static readonly CreateServicePolicy Policy = new(Microsoft.Extensions.Options.Options.Create(Options), Worker);

    private static Gen<string> Text(params string[] samples) =>
        Gen.OneOf(Gen.Elements(samples), ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));

    private static readonly Gen<string> Names = Gen.OneOf(
        Text("my-nginx", "a", "ab", "-x", "My-Nginx", "../etc", "nginx\n", "ｎｇｉｎｘ", new string('a', 63), new string('a', 64), ""),
        Gen.Choose(1, 70).SelectMany(n => Gen.ArrayOf(Gen.Elements("abz09-_.A/".ToCharArray()), n).Select(c => new string(c))));

    private static readonly Gen<string> Images =
        Text("nginx:alpine", "docker.io/library/nginx:alpine", "nginx", "nginx:latest", "redis:7", "ubuntu", "NGINX", "nginx alpine",
            "nginx:alpine@sha256:" + new string('a', 64), "evil.example.com/nginx:alpine", "");

    private static readonly Gen<string> Memories = Gen.OneOf(
        Text("128m", "6m", "5m", "512m", "513m", "1g", "2g", "1024g", "0", "-1", "1e9g", "99999999999999999999", "128M", "128mb", "1.5g", ""),
        Gen.Choose(0, 5000).SelectMany(n => Gen.Elements("", "b", "k", "m", "g", "K", "M", "G", "x").Select(u => $"{n}{u}")));

    private static readonly Gen<double?> Cpus = Gen.OneOf(
        Gen.Elements<double?>(null, 0, -1, 0.001, 0.01, 0.5, 1, 1.0001, 2, 2.5, 64, 65, double.NaN, double.PositiveInfinity, double.Epsilon),
        Gen.Choose(0, 7000).Select(n => (double?)(n / 100.0)));

    private static readonly Gen<int?> Ports = Gen.Elements<int?>(null, 0, 1, 80, 8080, 65535, 65536, -1);

    private static readonly Gen<IReadOnlyDictionary<string, string>?> Envs = Gen.Elements<IReadOnlyDictionary<string, string>?>(
        null,
        new Dictionary<string, string>(),
        new Dictionary<string, string> { ["A"] = "1", ["_B2"] = "x" },
        new Dictionary<string, string> { ["1A"] = "x" },
        new Dictionary<string, string> { ["A=B"] = "x" },
        new Dictionary<string, string> { ["A"] = new string('x', 4097) },
        Enumerable.Range(0, 65).ToDictionary(i => $"K{i}", _ => "v"));

    private static readonly Gen<CreateServiceRequest> Requests =
        from name in Names
        from image in Images
        from memory in Memories
        from cpus in Cpus
        from port in Ports
        from env in Envs
        select new CreateServiceRequest { ServiceName = name, Image = image, MemoryLimit = memory, CpuLimit = cpus, InternalPort = port, Env = env };

    /// <summary>
    /// The command the API would publish for a request (what another system might publish too): limits left out stay
    /// left out (the worker fills in the entry's defaults), as in CreateServiceEndpoint. Mapping an absent CPU limit to 0
    /// made this property fail whenever FsCheck drew a request without one.
    /// </summary>
    private static CreateService CommandFor(CreateServiceRequest r) => new()
    {
        CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = r.ServiceName ?? "", Image = r.Image ?? "",
        MemoryLimit = r.MemoryLimit, CpuLimit = r.CpuLimit, InternalPort = r.InternalPort, Env = r.Env,
        RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow,
    };

    [Property(MaxTest = 2000)]
    public Property The_api_and_the_worker_accept_exactly_the_same_requests() =>
        Prop.ForAll(Requests.ToArbitrary(), request =>
            Api.Validate(request).IsValid == Worker.Validate(CommandFor(request)).IsValid);

    [Property(MaxTest = 2000)]
    public Property Nothing_the_worker_approves_breaks_a_cap_or_leaves_the_allowlist() =>
        Prop.ForAll(Requests.ToArbitrary(), request =>
        {
            var (approved, refusal) = Policy.Evaluate(CommandFor(request));
            if (approved is null)
                return FailureReasons.All.Contains(refusal!.Reason);
            ImageReference.TryParse(request.Image, out var image);
            var entry = Options.AllowedImages.Single(e => ImageReference.TryParse(e.Image, out var r) && r.CanonicalWithoutDigest == image!.CanonicalWithoutDigest);
            MemorySize.TryParse(entry.MaxMemory ?? Options.MaxMemory, out var memoryCap);
            return approved.MemoryBytes <= Math.Min(memoryCap, 1L << 30)
                && approved.CpuLimit <= Math.Min(entry.MaxCpus ?? Options.MaxCpus, Options.MaxCpus)
                && approved.CpuLimit >= ServiceRules.MinCpus
                && approved.InternalPort is >= 1 and <= 65535
                && Api.Validate(request).IsValid;
        });
}
