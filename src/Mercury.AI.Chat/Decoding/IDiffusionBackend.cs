using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;

namespace Mercury.AI.Chat.Decoding;

/// <summary>
/// What the chat client needs from the engine: a tokenizer, the model's config, and "decode this batch" (the
/// <see cref="DiffusionGenerator.GenerateBatch"/> contract: synchronous, one caller at a time). The seam lets
/// tests script the model's answers.
/// </summary>
internal interface IDiffusionBackend : IDisposable
{
    HuggingFaceTokenizer Tokenizer { get; }

    ModelConfig Config { get; }

    IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<DiffusionStep>? onStep, CancellationToken cancellationToken);

    /// <summary>The <see cref="DiffusionGenerator.RunContinuous"/> contract: rows complete one by one and newcomers join at
    /// block boundaries. A backend without continuous batching runs the first rows as one batch and admits nobody.</summary>
    void RunContinuous(IReadOnlyList<GenerationRequest> initial, Func<GenerationRequest, IReadOnlyList<GenerationRequest>> admit,
        Action<int, GenerationResult> completed, Action<DiffusionStep>? onStep, Action<GenerationRequest, Exception> rejected,
        CancellationToken cancellationToken)
    {
        var results = GenerateBatch(initial, onStep, cancellationToken);
        for (int i = 0; i < results.Count; i++) completed(i, results[i]);
    }

    object? GetService(Type serviceType);
}

/// <summary>The real backend: a <see cref="DiffusionGenerator"/> over a loaded model.</summary>
internal sealed class GeneratorBackend(DiffusionGenerator generator, bool ownsModel) : IDiffusionBackend
{
    public HuggingFaceTokenizer Tokenizer { get; } = generator.Tokenizer
        ?? throw new ArgumentException("The generator needs a tokenizer to serve chat.", nameof(generator));

    public ModelConfig Config => generator.Model.Config;

    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<DiffusionStep>? onStep, CancellationToken cancellationToken) =>
        generator.GenerateBatch(requests, onStep, cancellationToken);

    public void RunContinuous(IReadOnlyList<GenerationRequest> initial, Func<GenerationRequest, IReadOnlyList<GenerationRequest>> admit,
        Action<int, GenerationResult> completed, Action<DiffusionStep>? onStep, Action<GenerationRequest, Exception> rejected,
        CancellationToken cancellationToken) =>
        generator.RunContinuous(initial, admit, completed, onStep, cancellationToken, rejected);

    public object? GetService(Type serviceType) =>
        serviceType.IsInstanceOfType(generator) ? generator
        : serviceType.IsInstanceOfType(generator.Model) ? generator.Model
        : null;

    public void Dispose()
    {
        if (ownsModel) generator.Model.Dispose();
    }
}
