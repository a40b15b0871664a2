using Microsoft.Extensions.Options;

namespace Messaging.Worker.Policy;

/// <summary>Fails start-up with every problem of the policy configuration listed.</summary>
public sealed class ImagePolicyOptionsValidator : IValidateOptions<ImagePolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, ImagePolicyOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
