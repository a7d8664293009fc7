using System.Collections.Concurrent;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Decoding;

/// <summary>
/// A model whose logits spell a scripted answer, so the real step loop (policies, stop checks, batching) runs on
/// answers a test chooses. In each row the answer starts after the last occurrence of <c>marker</c> (e.g. the
/// assistant header); <c>script</c> maps the text before it to the answer text, which is followed by an end token.
/// Every position gets the same large logit on its token, so a threshold policy commits the whole answer in one step
/// (as a trained model does with text it is sure of); <see cref="Confidence"/> can order the commits instead.
/// LLaDA-style (each position predicted from itself), <see cref="Decoding.CacheMode.None"/> only.
/// </summary>
public sealed class ScriptedModel(HuggingFaceTokenizer tokenizer, string marker, Func<string, string> script, ModelConfig? config = null) : IDiffusionLanguageModel
{
    /// <summary>The fixture tokenizer's ids: &lt;|endoftext|&gt; 0, &lt;|im_start|&gt; 1, &lt;|im_end|&gt; 2, &lt;|mask|&gt; 3.</summary>
    public static ModelConfig FixtureConfig { get; } = new()
    {
        Architecture = ModelArchitecture.LLaDA, VocabSize = 1024, HiddenSize = 64, NumLayers = 1, NumHeads = 1, NumKeyValueHeads = 1,
        IntermediateSize = 64, RmsNormEps = 1e-5, RopeTheta = 10_000, MaxSequenceLength = 4096, MaskTokenId = 3, EndTokenIds = [0, 2],
    };

    private readonly int[] _marker = [.. tokenizer.Encode(marker)];
    private readonly ConcurrentDictionary<string, int[]> _answers = new();

    public ModelConfig Config { get; } = config ?? FixtureConfig;

    public Device Device => CPU;

    public ScalarType DType => ScalarType.Float32;

    /// <summary>The token that follows the scripted text (default: the first end token).</summary>
    public int EndToken { get; init; } = (config ?? FixtureConfig).EndTokenIds[0];

    /// <summary>Extra logit for answer position i (default 0 everywhere): higher commits earlier.</summary>
    public Func<int, float>? Confidence { get; init; }

    /// <summary>Forward calls made, for tests that count them.</summary>
    public int Calls { get; private set; }

    public Tensor Forward(Tensor inputIds, ForwardOptions? options = null)
    {
        var index = options?.LogitsIndex ?? throw new NotSupportedException("ScriptedModel needs LogitsIndex (the step loop's full forward).");
        if (options.Cache is not null) throw new NotSupportedException("ScriptedModel runs with CacheMode.None only.");
        Calls++;
        int batch = (int)inputIds.shape[0], length = (int)inputIds.shape[1], width = (int)index.shape[1], vocab = Config.VocabSize;
        var ids = inputIds.data<long>().ToArray();
        var columns = index.data<long>().ToArray();
        var logits = new float[batch * width * vocab];
        for (int b = 0; b < batch; b++)
        {
            var row = ids.AsSpan(b * length, length);
            int start = AnswerStart(row);
            int first = 0;
            while (first < start && row[first] == (Config.PadTokenId ?? Config.EndTokenIds[0])) first++; // a batch's left padding
            var answer = _answers.GetOrAdd(tokenizer.Decode(row[first..start].ToArray().Select(t => (int)t)), AnswerTokens);
            for (int j = 0; j < width; j++)
            {
                int i = (int)columns[b * width + j] - start;
                int token = i >= 0 && i < answer.Length ? answer[i] : EndToken;
                logits[(b * width + j) * vocab + token] = 30 + (Confidence?.Invoke(i) ?? 0);
            }
        }
        return tensor(logits).view(batch, width, vocab);
    }

    private int AnswerStart(ReadOnlySpan<long> row)
    {
        for (int at = row.Length - _marker.Length; at >= 0; at--)
        {
            bool match = true;
            for (int k = 0; k < _marker.Length && match; k++) match = row[at + k] == _marker[k];
            if (match) return at + _marker.Length;
        }
        throw new InvalidOperationException("ScriptedModel: the canvas has no marker before its answer.");
    }

    private int[] AnswerTokens(string prompt) => [.. tokenizer.Encode(script(prompt)), EndToken];

    public KvCache CreateCache(long batch, long capacity) => throw new NotSupportedException("ScriptedModel runs with CacheMode.None only.");

    public void Dispose()
    {
    }
}
