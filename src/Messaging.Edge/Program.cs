using Messaging.Edge;

var builder = Host.CreateApplicationBuilder(args);
builder.AddEdgeHost();
builder.Build().Run();
