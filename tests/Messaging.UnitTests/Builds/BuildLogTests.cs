using Messaging.Worker.Builds;

namespace Messaging.UnitTests.Builds;

/// <summary>The build log keeps a masked tail and counts against its cap.</summary>
public sealed class BuildLogTests
{
    [Fact]
    public void A_secret_split_across_chunks_is_masked_in_lines_and_tail()
    {
        var log = new BuildLog(["hunter2secret"], 1 << 20);
        var lines = new List<string>();
        log.Line += lines.Add;
        log.Append("Step 2/3 : RUN echo hunt");
        log.Append("er2secret > /x\nok\n");
        Assert.Equal(["Step 2/3 : RUN echo [secret] > /x", "ok"], lines);
        Assert.DoesNotContain(log.Tail(), line => line.Contains("hunter2", StringComparison.Ordinal));
        Assert.Equal("failed: [secret]", log.MaskSecrets("failed: hunter2secret"));
    }

    [Fact]
    public void The_tail_keeps_the_last_lines_and_the_cap_is_noticed()
    {
        var log = new BuildLog([], 100);
        for (var i = 0; i < 60; i++)
            log.AppendLine($"line {i}");
        Assert.Equal(BuildLog.TailLines, log.Tail().Count);
        Assert.Equal("line 59", log.Tail()[^1]);
        Assert.True(log.LimitExceeded);
    }

    [Fact]
    public void Completing_the_log_makes_its_last_partial_line_a_numbered_line()
    {
        var log = new BuildLog([], 1 << 20);
        var lines = new List<string>();
        log.Line += lines.Add;
        log.Append("one\ntwo\nthree without a break");
        Assert.Equal(2, log.LineCount);
        log.Complete();
        Assert.Equal(["one", "two", "three without a break"], lines);
        Assert.Equal(3, log.LineCount);
        Assert.Equal(lines, log.Tail()); // the tail's lines are lines LineCount - Count + 1 .. LineCount
    }
}
