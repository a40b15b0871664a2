namespace Messaging.Stacks.Compose;

/// <summary>Problems collected while reading, capped so a hostile file cannot make the answer large.</summary>
internal sealed class ProblemList
{
    private readonly List<StackProblem> _items = [];

    public int Count => _items.Count;
    public IReadOnlyList<StackProblem> Items => _items;

    public void Add(string path, string message)
    {
        if (_items.Count < ComposeSubset.MaxProblems)
            _items.Add(new StackProblem(path, message));
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
