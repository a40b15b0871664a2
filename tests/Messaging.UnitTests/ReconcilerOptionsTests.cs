using Messaging.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

public class ReconcilerOptionsTests
{
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-1.00:00:00")]
    public async Task A_record_retention_that_is_not_positive_stops_the_worker(string retention)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:AllowedImages:0:Image"] = "nginx:alpine",
            ["Policy:AllowedImages:0:User"] = "101:101",
            ["Reconciler:RecordRetention"] = retention,
        });
        builder.AddWorker();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Reconciler:RecordRetention must be a positive time span", error.Message, StringComparison.Ordinal);
    }
}
