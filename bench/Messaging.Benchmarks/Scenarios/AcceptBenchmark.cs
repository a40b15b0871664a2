using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Messaging.Benchmarks.Infrastructure;
using RabbitMQ.Client;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// (3) Accept rate: POST -> 202 (authentication, validation, Redis record, confirmed publish) with N
/// concurrent connections for a fixed time, no worker running; against a raw RabbitMQ.Client publisher
/// with confirms, same message, same concurrency, same exchange and queue. The queue is purged after each.
/// </summary>
public static class AcceptBenchmark
{
    private sealed record LoadResult(int Ok, int Failed, double Seconds, Stats Latency, IReadOnlyDictionary<string, int> Codes)
    {
        public double PerSecond => Ok / Seconds;
    }

    public static async Task RunAsync(BenchContext context, ResultTable table)
    {
        var options = context.Options;
        var connections = options.AcceptConnections;
        var duration = TimeSpan.FromSeconds(options.AcceptSeconds);
        await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
        using var purge = context.OnCleanup("purge create-service", async () => await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue));

        LoadResult api;
        byte[] sample;
        IReadOnlyBasicProperties sampleProperties;
        double apiCpu, apiRss;
        await using (var system = await SystemUnderTest.StartAsync(context, "b", withWorker: false))
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false,
            }) { BaseAddress = system.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

            // Measure the API, not the JIT: tiered compilation re-jits the hot path (about 3,500 methods) on one
            // background thread, which on a busy 2-core machine takes many seconds. Load it until the runtime
            // reports that compilation has settled (or a fixed warm-up when the counters are unavailable).
            using var counters = RuntimeCounters.TryAttach(system.Api.Pid);
            BenchContext.Log($"accept: warm-up at {connections} connections until the API's JIT settles (at least {options.AcceptWarmUpSeconds} s)");
            var warm = await WarmUpAsync(http, system.Token, connections, counters, TimeSpan.FromSeconds(options.AcceptWarmUpSeconds), "warm", context);
            if (warm.Ok > 0 && await Rabbit.CountAsync(Rabbit.CreateServiceQueue) == 0)
            {
                // The API's publish topology declares the create-service exchange and queue but does not bind the
                // CreateService message exchange to them; only the worker's endpoint does. On a vhost where no
                // worker ever ran, every 202 command is dropped by the broker. Bind it as the worker would.
                BenchContext.Log($"accept: WARNING: {warm.Ok} commands answered 202 but none reached {Rabbit.CreateServiceQueue}: " +
                                 $"{Rabbit.CreateServiceExchange} is not bound to it (no worker ever ran in {BenchContext.VHost}); binding it as the worker's topology does");
                table.Detail("accept.unbound_commands_dropped", warm.Ok);
                await Rabbit.BindCommandExchangeAsync();
                warm = await WarmUpAsync(http, system.Token, connections, counters, TimeSpan.FromSeconds(3), "warm2", context);
            }
            table.Detail("accept.warm_up_from_cold_start", new { seconds = Math.Round(warm.Seconds, 1), per_s = Math.Round(warm.PerSecond, 1), latency_ms = warm.Latency.Summary() });
            var peeked = await Rabbit.PeekAsync(Rabbit.CreateServiceQueue) ?? throw new InvalidOperationException("No command reached the create-service queue.");
            (sample, sampleProperties) = peeked;
            await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);

            BenchContext.Log($"accept: API, {duration.TotalSeconds:F0} s at {connections} connections, no worker (load {BenchContext.LoadAverage()})");
            var cpuBefore = system.Api.CpuSeconds();
            var measuredFrom = Clock.Now;
            var budget = CpuBudget.Start(("api", system.Api.Pid));
            using var probing = new CancellationTokenSource();
            var probes = ProbeDependenciesAsync(probing.Token);
            api = await HttpLoadAsync(http, system.Token, connections, duration, "acc", context.Cancel);
            var apiBudget = budget.Stop();
            await probing.CancelAsync();
            var (redisProbe, brokerProbe) = await probes;
            BenchContext.Log($"accept: CPU (cores) during the API run: {CpuBudget.Format(apiBudget)}");
            table.Detail("accept.api_cpu_cores", apiBudget);
            BenchContext.Log($"accept: meanwhile, one Redis PING {redisProbe}; one confirmed publish {brokerProbe} (ms)");
            table.Detail("accept.dependency_probes_during_api_load", new { redis_ping_ms = redisProbe.Summary(), broker_publish_confirm_ms = brokerProbe.Summary() });
            apiCpu = (system.Api.CpuSeconds() - cpuBefore) / api.Seconds;
            table.Detail("accept.api_runtime_counters", counters?.Summary(measuredFrom));
            apiRss = system.Api.Memory().RssMb;
            var queued = await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
            BenchContext.Log($"accept: API {api.PerSecond:F0}/s, latency {api.Latency}, {api.Failed} not 202, {queued} commands were in the queue (API used {apiCpu:F2} cores)");
            table.Detail("accept.api_queued_commands", queued);
        }

        BenchContext.Log($"accept: raw RabbitMQ.Client publisher with confirms, {connections} concurrent publishes of {sample.Length} bytes (load {BenchContext.LoadAverage()})");
        var (raw, rawBudget) = await RawPublishAsync(sample, sampleProperties, connections, duration, context.Cancel);
        BenchContext.Log($"accept: CPU (cores) during the raw run: {CpuBudget.Format(rawBudget)}");
        table.Detail("accept.raw_cpu_cores", rawBudget);
        var rawQueued = await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
        BenchContext.Log($"accept: raw {raw.PerSecond:F0}/s, latency {raw.Latency}, {rawQueued} messages were in the queue");

        // Between the two: the API's publish path alone (MassTransit, confirms awaited), to split the gap (docs/BENCHMARKS.md).
        BenchContext.Log($"accept: the API's CommandPublisher alone (MassTransit, no HTTP, no Redis), {connections} publishes in flight (load {BenchContext.LoadAverage()})");
        var mt = await MassTransitPublisher.RunAsync(connections, duration, context.Cancel);
        var mtQueued = await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
        BenchContext.Log($"accept: CPU (cores) during the MassTransit run: {CpuBudget.Format(mt.Cpu)}");
        BenchContext.Log($"accept: MassTransit {mt.PerSecond:F0}/s, latency {mt.Latency}, {mt.Failed} not confirmed, {mtQueued} messages were in the queue");
        table.Detail("accept.masstransit_cpu_cores", mt.Cpu);

        table.Add(new ResultRow
        {
            Id = "accept.rate", Figure = $"accept rate, {connections} connections, no worker", Unit = "req/s",
            Value = api.PerSecond, Baseline = raw.PerSecond, BaselineName = "RabbitMQ.Client + confirms",
            TargetOn = "value", Target = 2000, Direction = Better.Higher,
        });
        table.Add(new ResultRow
        {
            Id = "accept.masstransit_rate", Figure = $"publish rate of the API's publisher alone (MassTransit), {connections} in flight", Unit = "msg/s",
            Value = mt.PerSecond, Baseline = raw.PerSecond, BaselineName = "RabbitMQ.Client + confirms", Direction = Better.Higher,
        });
        table.Add(new ResultRow
        {
            Id = "accept.p99", Figure = "accept latency p99 (POST -> 202)", Unit = "ms",
            Value = api.Latency.P99, Baseline = raw.Latency.P99, BaselineName = "publish -> confirm",
            TargetOn = "value", Target = 50, Direction = Better.Lower,
        });
        table.Add(new ResultRow
        {
            Id = "accept.p50", Figure = "accept latency p50", Unit = "ms",
            Value = api.Latency.P50, Baseline = raw.Latency.P50, BaselineName = "publish -> confirm",
        });
        table.Detail("accept", new
        {
            connections, seconds = duration.TotalSeconds, message_bytes = sample.Length, load = BenchContext.LoadAverage(),
            api = new { accepted = api.Ok, not_accepted = api.Failed, codes = api.Codes, per_s = Math.Round(api.PerSecond, 1), latency_ms = api.Latency.Summary(), cpu_cores = Math.Round(apiCpu, 2), rss_mb = Math.Round(apiRss, 1) },
            raw = new { confirmed = raw.Ok, failed = raw.Failed, per_s = Math.Round(raw.PerSecond, 1), latency_ms = raw.Latency.Summary(), queued = rawQueued },
            masstransit = new { confirmed = mt.Confirmed, failed = mt.Failed, per_s = Math.Round(mt.PerSecond, 1), latency_ms = mt.Latency.Summary(), queued = mtQueued },
        });
    }

    /// <summary>
    /// While the API is under load: every 50 ms one Redis PING and one confirmed publish (to a queue of its
    /// own), each alone in flight: how long the API's dependencies take to answer under that load.
    /// </summary>
    private static async Task<(Stats Redis, Stats Broker)> ProbeDependenciesAsync(CancellationToken stop)
    {
        await using var redis = await RedisTools.ConnectAsync();
        await using var connection = await Rabbit.Factory().CreateConnectionAsync("bench-probe");
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        var body = new byte[1400];
        var redisTimes = new List<double>();
        var brokerTimes = new List<double>();
        var db = redis.GetDatabase();
        while (!stop.IsCancellationRequested)
        {
            var begin = Clock.Now;
            await db.PingAsync();
            redisTimes.Add(Clock.MsSince(begin));
            begin = Clock.Now;
            await channel.BasicPublishAsync("", queue, mandatory: false, new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, body);
            brokerTimes.Add(Clock.MsSince(begin));
            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return (new Stats(redisTimes), new Stats(brokerTimes));
    }

    private static async Task<LoadResult> WarmUpAsync(HttpClient http, string token, int connections, RuntimeCounters? counters, TimeSpan min, string tag, BenchContext context)
    {
        if (counters is null)
            return await HttpLoadAsync(http, token, connections, min, tag, context.Cancel);
        using var stop = new CancellationTokenSource();
        var load = HttpLoadAsync(http, token, connections, TimeSpan.FromHours(1), tag, context.Cancel, stop.Token);
        var waited = await counters.WaitForJitToSettleAsync(min, TimeSpan.FromSeconds(Math.Max(60, min.TotalSeconds)), 20, context.Cancel);
        await stop.CancelAsync();
        var result = await load;
        BenchContext.Log($"accept: warm-up took {waited:F0} s ({counters.Latest("methods-jitted-count"):F0} methods compiled); " +
                         $"{result.PerSecond:F0} req/s, p99 {result.Latency.P99:F1} ms while the JIT was busy");
        return result;
    }

    private static async Task<LoadResult> HttpLoadAsync(HttpClient http, string token, int connections, TimeSpan duration, string tag, CancellationToken cancel,
        CancellationToken stop = default)
    {
        var latencies = new ConcurrentBag<double[]>();
        var codes = new ConcurrentDictionary<string, int>();
        var ok = 0;
        var failed = 0;
        var authorization = "Bearer " + token;
        var started = Clock.Now;
        var deadline = started + (long)(duration.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            var mine = new List<double>(8192);
            for (var i = 0; Clock.Now < deadline && !stop.IsCancellationRequested; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var body = Encoding.UTF8.GetBytes(SystemUnderTest.CreateBody($"{tag}-{worker}-{i}", "32m", 0.1));
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/services") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
                var begin = Clock.Now;
                string code;
                try
                {
                    using var response = await http.SendAsync(request, cancel);
                    await response.Content.LoadIntoBufferAsync(cancel);
                    code = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                        Interlocked.Increment(ref ok);
                    else
                        Interlocked.Increment(ref failed);
                }
                catch (HttpRequestException e)
                {
                    code = e.GetType().Name;
                    Interlocked.Increment(ref failed);
                }
                mine.Add(Clock.MsSince(begin));
                codes.AddOrUpdate(code, 1, (_, n) => n + 1);
            }
            latencies.Add([.. mine]);
        }, cancel)));
        var seconds = Clock.MsSince(started) / 1000;
        return new LoadResult(ok, failed, seconds, new Stats(latencies.SelectMany(l => l)), codes);
    }

    /// <summary>
    /// The broker's own limit for the same work: N concurrent publishes of the API's message to the same
    /// exchange (and so the same quorum queue), each awaited until the broker confirmed it. One connection,
    /// N/8 channels with confirmation tracking (several publishes in flight per channel).
    /// </summary>
    private static async Task<(LoadResult, Dictionary<string, double>)> RawPublishAsync(byte[] body, IReadOnlyBasicProperties sample, int concurrency, TimeSpan duration, CancellationToken cancel)
    {
        await using var connection = await Rabbit.Factory().CreateConnectionAsync("bench-raw-publisher");
        var channelCount = Math.Max(1, concurrency / 8);
        var channels = new IChannel[channelCount];
        for (var i = 0; i < channelCount; i++)
            channels[i] = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        async Task<LoadResult> Run(TimeSpan length)
        {
            var latencies = new ConcurrentBag<double[]>();
            var ok = 0;
            var failed = 0;
            var started = Clock.Now;
            var deadline = started + (long)(length.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                var channel = channels[worker % channelCount];
                var mine = new List<double>(8192);
                while (Clock.Now < deadline)
                {
                    cancel.ThrowIfCancellationRequested();
                    var properties = new BasicProperties
                    {
                        ContentType = sample.ContentType ?? Rabbit.ContentType,
                        DeliveryMode = DeliveryModes.Persistent,
                        MessageId = Guid.NewGuid().ToString(),
                        Headers = sample.Headers is null ? null : new Dictionary<string, object?>(sample.Headers),
                    };
                    var begin = Clock.Now;
                    try
                    {
                        await channel.BasicPublishAsync(Rabbit.CreateServiceExchange, "", mandatory: false, properties, body, cancel);
                        Interlocked.Increment(ref ok);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    mine.Add(Clock.MsSince(begin));
                }
                latencies.Add([.. mine]);
            }, cancel)));
            return new LoadResult(ok, failed, Clock.MsSince(started) / 1000, new Stats(latencies.SelectMany(l => l)), new Dictionary<string, int>());
        }

        await Run(TimeSpan.FromSeconds(5)); // warm-up
        await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
        var budget = CpuBudget.Start();
        var result = await Run(duration);
        var used = budget.Stop();
        foreach (var channel in channels)
            await channel.CloseAsync();
        return (result, used);
    }
}
