using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>The runners by language name.</summary>
public sealed class LanguageRunners
{
    private readonly Dictionary<string, ILanguageRunner> _byName;

    public LanguageRunners(IEnumerable<ILanguageRunner> runners) =>
        _byName = runners.ToDictionary(r => r.Language, StringComparer.OrdinalIgnoreCase);

    /// <summary>python, javascript and csharp in <paramref name="sandbox"/>, html in Chromium.</summary>
    public static LanguageRunners CreateDefault(ISandbox sandbox, HtmlRunnerOptions? html = null) =>
        new([new PythonRunner(sandbox), new JavaScriptRunner(sandbox), new CSharpRunner(sandbox), new HtmlRunner(sandbox, html ?? new())]);

    public IReadOnlyCollection<string> Languages => _byName.Keys;

    /// <summary>The languages of <see cref="CreateDefault"/>, for checking job files without building a sandbox.</summary>
    public static IReadOnlyCollection<string> DefaultLanguages { get; } = ["python", "javascript", "csharp", "html"];

    public bool TryGet(string language, out ILanguageRunner runner) => _byName.TryGetValue(language, out runner!);

    public ILanguageRunner Get(string language) =>
        TryGet(language, out var runner) ? runner
        : throw new ArgumentException($"Unknown language '{language}'. Known: {string.Join(", ", _byName.Keys)}.", nameof(language));
}
