using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Messaging.Api.Services;
using Messaging.Benchmarks.Infrastructure;
using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>The request rules both sides apply: the API's request validator and the worker's command validator.</summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private readonly CreateServiceRequestValidator _requests = new();
    private readonly CreateServiceCommandValidator _commands = new();
    private readonly CreateServiceRequest _valid = new()
    {
        ServiceName = "my-nginx", Image = "nginx:alpine", MemoryLimit = "128m", CpuLimit = 0.5,
        Env = new Dictionary<string, string> { ["GREETING"] = "hi", ["MODE"] = "bench" },
    };
    private readonly CreateServiceRequest _invalid = new()
    {
        ServiceName = "X", Image = "not a reference", MemoryLimit = "1.5g", CpuLimit = 1000,
        Env = new Dictionary<string, string> { ["1BAD"] = "x" },
    };
    private readonly CreateService _command = MicroBenchmarks.Command();

    [Benchmark(Description = "API request validator, valid body")]
    public bool ValidRequest() => _requests.Validate(_valid).IsValid;

    [Benchmark(Description = "API request validator, 5 errors")]
    public bool InvalidRequest() => _requests.Validate(_invalid).IsValid;

    [Benchmark(Description = "worker command validator, valid")]
    public bool Command() => _commands.Validate(_command).IsValid;

    [Benchmark(Description = "ImageReference.TryParse")]
    public bool Image() => ImageReference.TryParse("docker.io/library/nginx:alpine", out _);
}

/// <summary>Memory sizes in Docker's units.</summary>
[MemoryDiagnoser]
public class MemorySizeBenchmarks
{
    [Params("128m", "6291456", "1G", "12.5m")]
    public string Text { get; set; } = "";

    [Benchmark(Description = "MemorySize.TryParseLimit")]
    public long Parse() => MemorySize.TryParseLimit(Text, out var bytes) ? bytes : -1;
}

/// <summary>The worker's policy and its container spec, per creation.</summary>
[MemoryDiagnoser]
public class SpecBenchmarks
{
    private readonly CreateServicePolicy _policy = new(Options.Create(MicroBenchmarks.Policy()), new CreateServiceCommandValidator());
    private readonly ContainerSpecBuilder _specs = new(Options.Create(new DockerOptions()));
    private readonly CreateService _command = MicroBenchmarks.Command();
    private ApprovedService _approved = null!;

    [GlobalSetup]
    public void Setup() => _approved = _policy.Evaluate(_command).Approved ?? throw new InvalidOperationException("refused");

    [Benchmark(Description = "CreateServicePolicy.Evaluate")]
    public bool Evaluate() => _policy.Evaluate(_command).Approved is not null;

    [Benchmark(Description = "ContainerSpecBuilder.Build")]
    public object Build() => _specs.Build(_approved, 12345);
}

public static class MicroBenchmarks
{
    internal static CreateService Command() => new()
    {
        CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "my-nginx", Image = "nginx:alpine",
        MemoryLimit = "128m", CpuLimit = 0.5, RequestedBy = "tok-0123456789ab", RequestedAt = DateTimeOffset.UtcNow,
        Env = new Dictionary<string, string> { ["GREETING"] = "hi" },
    };

    /// <summary>The nginx:alpine entry of the worker's appsettings.json (the one these commands name).</summary>
    internal static ImagePolicyOptions Policy() => new()
    {
        MaxMemory = "1g",
        MaxCpus = 2,
        AllowedImages =
        [
            new AllowedImage
            {
                Image = "nginx:alpine", MaxMemory = "512m", MaxCpus = 1, InternalPort = 80,
                User = "101:101", Tmpfs = ["/tmp", "/var/cache/nginx", "/var/run"],
            },
        ],
    };

    public static void Run(BenchContext context, ResultTable table)
    {
        var artifacts = Path.Combine(context.ResultsDir, "micro");
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("in-process"))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts);
        BenchContext.Log($"micro: BenchmarkDotNet, in-process, ShortRun (load {BenchContext.LoadAverage()})");
        var summaries = BenchmarkRunner.Run([typeof(ValidationBenchmarks), typeof(MemorySizeBenchmarks), typeof(SpecBenchmarks)], config);
        var details = new List<object>();
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                var name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
                var parameters = report.BenchmarkCase.Parameters.DisplayInfo;
                if (!string.IsNullOrEmpty(parameters) && parameters != "Default")
                    name += " " + parameters;
                var mean = report.ResultStatistics?.Mean ?? double.NaN;
                var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
                table.Add(new ResultRow
                {
                    Id = "micro." + name, Figure = "micro: " + name, Unit = "ns", Value = mean,
                    Note = allocated is { } bytes ? $"{bytes} B allocated per call" : null,
                });
                details.Add(new { name, mean_ns = Math.Round(mean, 1), stddev_ns = Math.Round(report.ResultStatistics?.StandardDeviation ?? double.NaN, 1), allocated_bytes = allocated });
            }
        }
        table.Detail("micro", details);
    }
}
