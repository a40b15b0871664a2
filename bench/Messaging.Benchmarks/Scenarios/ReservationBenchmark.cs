using System.Collections.Concurrent;
using Messaging.Benchmarks.Infrastructure;
using Messaging.State.Tokens;
using Messaging.State.Reservations;
using StackExchange.Redis;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// (4) Port + name + quota reservations on Redis through the worker's <see cref="PortReservations"/>, with
/// concurrent reservers: the rate (against a trivial script's round trip, the floor any reservation pays), zero
/// duplicates, then the whole range 11000-20000 exhausted: exactly 9,001 distinct ports, then ports_exhausted.
/// </summary>
public static class ReservationBenchmark
{
    private const int Min = 11000;
    private const int Max = 20000;

    public static async Task RunAsync(BenchContext context, ResultTable table)
    {
        var reservers = context.Options.Reservers;
        var count = context.Options.ReservationCount;
        var range = new Dictionary<string, string?> { ["Ports:Min"] = Min.ToString(), ["Ports:Max"] = Max.ToString() };
        // A quota large enough never to refuse, so the quota arithmetic runs on every reservation.
        var allocation = new Allocation("bench-owner", 64L * 1024 * 1024, 0.25, new Quota(1_000_000, 1L << 50, 1_000_000));

        // Rate: a fresh range, fewer reservations than ports (the scan for a free port stays short).
        var ratePrefix = context.Prefix("r-rate");
        using var cleanRate = context.OnCleanup("redis r-rate", async () => await RedisTools.DeletePrefixAsync(ratePrefix));
        double rate;
        int rateDuplicates;
        Stats rateEach;
        using (var parts = WorkerParts.Build(context, ratePrefix, range))
        {
            var reservations = parts.Reservations;
            await reservations.ReserveAsync(Guid.NewGuid(), "warm-up", allocation, null, context.Cancel); // connect, load the scripts
            BenchContext.Log($"reservation: {count} reservations, {reservers} concurrent reservers (load {BenchContext.LoadAverage()})");
            var ports = new ConcurrentBag<int>();
            var each = new ConcurrentBag<double>();
            var next = 0;
            var started = Clock.Now;
            await Task.WhenAll(Enumerable.Range(0, reservers).Select(w => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) <= count)
                {
                    var begin = Clock.Now;
                    var reservation = await reservations.ReserveAsync(Guid.NewGuid(), $"rate-{i}", allocation, null, context.Cancel);
                    each.Add(Clock.MsSince(begin));
                    if (reservation.Outcome != ReserveOutcome.Reserved)
                        throw new InvalidOperationException($"Reservation {i} ended {reservation.Outcome}.");
                    ports.Add(reservation.Port);
                }
            })));
            rate = count / (Clock.MsSince(started) / 1000);
            rateDuplicates = ports.Count - ports.Distinct().Count();
            rateEach = new Stats(each);
            var held = await parts.Redis.GetDatabase().HashLengthAsync(parts.Keys.Ports);
            BenchContext.Log($"reservation: {rate:F0}/s, each {rateEach}, {rateDuplicates} duplicate ports, {held} ports held in Redis");
        }

        var baseline = await RoundTripFloorRateAsync(context, count, reservers);

        // Exhaustion: the whole range from empty, then one more.
        var exhaustPrefix = context.Prefix("r-exhaust");
        using var cleanExhaust = context.OnCleanup("redis r-exhaust", async () => await RedisTools.DeletePrefixAsync(exhaustPrefix));
        int distinct, total, duplicates;
        bool exhaustedAfter, inRange;
        double exhaustRate;
        using (var parts = WorkerParts.Build(context, exhaustPrefix, range))
        {
            var reservations = parts.Reservations;
            BenchContext.Log($"reservation: exhausting {Min}-{Max} with {reservers} reservers");
            var ports = new ConcurrentBag<int>();
            var serial = 0;
            var started = Clock.Now;
            await Task.WhenAll(Enumerable.Range(0, reservers).Select(w => Task.Run(async () =>
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref serial);
                    var reservation = await reservations.ReserveAsync(Guid.NewGuid(), $"exhaust-{i}", allocation, null, context.Cancel);
                    if (reservation.Outcome == ReserveOutcome.Exhausted)
                        return;
                    if (reservation.Outcome != ReserveOutcome.Reserved)
                        throw new InvalidOperationException($"Reservation {i} ended {reservation.Outcome}.");
                    ports.Add(reservation.Port);
                }
            })));
            var seconds = Clock.MsSince(started) / 1000;
            total = ports.Count;
            distinct = ports.Distinct().Count();
            duplicates = total - distinct;
            inRange = ports.All(p => p is >= Min and <= Max);
            exhaustRate = total / seconds;
            var oneMore = await reservations.ReserveAsync(Guid.NewGuid(), "one-more", allocation, null, context.Cancel);
            exhaustedAfter = oneMore.Outcome == ReserveOutcome.Exhausted;
            BenchContext.Log($"reservation: {total} reserved ({distinct} distinct, all in range: {inRange}) in {seconds:F1} s ({exhaustRate:F0}/s); then {oneMore.Outcome}");
        }

        table.Add(new ResultRow
        {
            Id = "reservation.rate", Figure = $"reservations (port+name+quota), {reservers} reservers", Unit = "/s",
            Value = rate, Baseline = baseline, BaselineName = "a trivial Lua script: the round trip",
            TargetOn = "value", Target = 5000, Direction = Better.Higher,
        });
        table.Add(new ResultRow
        {
            Id = "reservation.duplicates", Figure = "duplicate ports (rate run + exhaustion)", Unit = "",
            Value = rateDuplicates + duplicates, TargetOn = "value", Target = 0, Direction = Better.Exact,
        });
        table.Add(new ResultRow
        {
            Id = "reservation.exhaust", Figure = $"range {Min}-{Max} exhausted", Unit = "ports",
            Value = distinct, TargetText = "9,001 distinct, then ports_exhausted",
            MetOverride = distinct == Max - Min + 1 && total == distinct && inRange && exhaustedAfter,
            Note = $"{exhaustRate:F0} reservations/s while filling the range; next reservation: {(exhaustedAfter ? "ports_exhausted" : "NOT exhausted")}",
        });
        table.Detail("reservation", new
        {
            reservers, count, load = BenchContext.LoadAverage(),
            per_s = Math.Round(rate, 1), each_ms = rateEach.Summary(3), trivial_script_per_s = Math.Round(baseline, 1),
            exhaustion = new { reserved = total, distinct, duplicates, all_in_range = inRange, then_exhausted = exhaustedAfter, per_s = Math.Round(exhaustRate, 1) },
        });
    }

    /// <summary>
    /// The floor under any Redis reservation: the same number of concurrent callers each running a trivial
    /// Lua script (one key, one argument, a two-element answer like the real one) through the same client.
    /// The ratio says what the reservation's own work (lock, name, quota, port scan) costs on top of the
    /// round trip itself.
    /// </summary>
    private static async Task<double> RoundTripFloorRateAsync(BenchContext context, int count, int reservers)
    {
        const string script = "return {'reserved', ARGV[1]}";
        var prefix = context.Prefix("r-floor");
        using var clean = context.OnCleanup("redis r-floor", async () => await RedisTools.DeletePrefixAsync(prefix));
        using var parts = WorkerParts.Build(context, prefix);
        var db = parts.Redis.GetDatabase();
        RedisKey[] scriptKeys = [parts.Keys.Names];
        await db.ScriptEvaluateAsync(script, scriptKeys, ["warm-up"]);
        var next = 0;
        var started = Clock.Now;
        await Task.WhenAll(Enumerable.Range(0, reservers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= count)
            {
                var result = (RedisResult[])(await db.ScriptEvaluateAsync(script, scriptKeys, [Guid.NewGuid().ToString("D")]))!;
                if ((string?)result[0] != "reserved")
                    throw new InvalidOperationException($"Script answered {result[0]}.");
            }
        })));
        var rate = count / (Clock.MsSince(started) / 1000);
        BenchContext.Log($"reservation: a trivial script, same callers: {rate:F0}/s");
        return rate;
    }
}
