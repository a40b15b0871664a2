using Messaging.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddApi();

var app = builder.Build();
app.UseApi();
app.Run();

/// <summary>Entry point, visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
