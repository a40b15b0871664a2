using System.Collections.Concurrent;
using MassTransit;
using Messaging.Api;
using Messaging.Api.Services;
using Messaging.Benchmarks.Infrastructure;
using Messaging.Contracts;
using Messaging.ServiceDefaults.Bus;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// The accept benchmark's middle contender: the API's own publish path (its <see cref="CommandPublisher"/> on the
/// same MassTransit bus configuration, same topology, confirms awaited) with N publishes in flight, and nothing
/// else: no HTTP, no authentication, no Redis. Between the API and the raw RabbitMQ.Client publisher it shows how
/// much of the gap is the messaging library and how much is the request around it.
/// </summary>
public static class MassTransitPublisher
{
    public sealed record Result(int Confirmed, int Failed, double Seconds, Stats Latency, Dictionary<string, double> Cpu)
    {
        public double PerSecond => Confirmed / Seconds;
    }

    public static async Task<Result> RunAsync(int concurrency, TimeSpan duration, CancellationToken cancel)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestEnvironment.ServiceSettings())
        {
            ["RabbitMq:VHost"] = BenchContext.VHost,
        });
        builder.Services.AddOptions<PublishOptions>();
        builder.Services.AddSingleton<CommandPublisher>();
        builder.AddMessagingBus(_ => { }, (_, cfg) => ApiSetup.BindCommandQueue<CreateService>(cfg, CommandQueues.CreateService));
        using var host = builder.Build();
        await host.StartAsync(cancel);
        try
        {
            var publisher = host.Services.GetRequiredService<CommandPublisher>();
            await LoadAsync(publisher, concurrency, TimeSpan.FromSeconds(5), cancel); // warm-up: channel, topology, JIT
            await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
            var budget = CpuBudget.Start();
            var (confirmed, failed, seconds, latency) = await LoadAsync(publisher, concurrency, duration, cancel);
            return new Result(confirmed, failed, seconds, latency, budget.Stop());
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<(int Confirmed, int Failed, double Seconds, Stats Latency)> LoadAsync(
        CommandPublisher publisher, int concurrency, TimeSpan duration, CancellationToken cancel)
    {
        var latencies = new ConcurrentBag<double[]>();
        var confirmed = 0;
        var failed = 0;
        var started = Clock.Now;
        var deadline = started + (long)(duration.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = new List<double>(8192);
            for (var i = 0; Clock.Now < deadline; i++)
            {
                cancel.ThrowIfCancellationRequested();
                // The command the API builds for the benchmark's request body.
                var command = new CreateService
                {
                    CommandId = NewId.NextGuid(), ServiceId = Guid.NewGuid(), ServiceName = $"mt-{worker}-{i}", Image = "nginx:alpine",
                    MemoryLimit = "32m", CpuLimit = 0.1, RequestedBy = Guid.NewGuid().ToString(), RequestedAt = DateTimeOffset.UtcNow,
                };
                var begin = Clock.Now;
                if (await publisher.PublishAsync(command) == PublishOutcome.Confirmed)
                    Interlocked.Increment(ref confirmed);
                else
                    Interlocked.Increment(ref failed);
                mine.Add(Clock.MsSince(begin));
            }
            latencies.Add([.. mine]);
        }, cancel)));
        return (confirmed, failed, Clock.MsSince(started) / 1000, new Stats(latencies.SelectMany(l => l)));
    }
}
