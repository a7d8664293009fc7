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

    public object? GetService(Type serviceType) =>
        serviceType.IsInstanceOfType(generator) ? generator
        : serviceType.IsInstanceOfType(generator.Model) ? generator.Model
        : null;

    public void Dispose()
    {
        if (ownsModel) generator.Model.Dispose();
    }
}
