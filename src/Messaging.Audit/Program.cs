using Messaging.Audit;

var builder = Host.CreateApplicationBuilder(args);
builder.AddAuditHost();
builder.Build().Run();
