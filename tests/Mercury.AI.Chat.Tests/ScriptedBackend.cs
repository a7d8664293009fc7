using System.Collections.Concurrent;
using Mercury.AI.Chat.Decoding;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;

namespace Mercury.AI.Chat.Tests;

/// <summary>
/// A model seam that answers from a script (rendered prompt → answer text) and replays the answer as a diffusion
/// would: each step commits the next <see cref="TokensPerStep"/> tokens from the left and one token from the right
/// end of the canvas, so later positions are decided before earlier ones, as in a real decode.
/// </summary>
internal sealed class ScriptedBackend(Func<string, string> script) : IDiffusionBackend
{
    public const int EndOfText = 0, EndOfTurn = 2, Mask = 3;

    private static readonly Lazy<HuggingFaceTokenizer> s_tokenizer = new(() => HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json")));

    public HuggingFaceTokenizer Tokenizer => s_tokenizer.Value;

    public ModelConfig Config { get; init; } = new()
    {
        Architecture = ModelArchitecture.LLaDA, VocabSize = 1024, HiddenSize = 64, NumLayers = 1, NumHeads = 1, NumKeyValueHeads = 1,
        IntermediateSize = 64, RmsNormEps = 1e-5, RopeTheta = 10_000, MaxSequenceLength = 4096, MaskTokenId = Mask, EndTokenIds = [EndOfText, EndOfTurn],
    };

    public int TokensPerStep { get; init; } = 2;

    /// <summary>Called before every step (on the decode thread), e.g. to slow it down.</summary>
    public Action<int>? BeforeStep { get; init; }

    public ConcurrentQueue<GenerationRequest> Requests { get; } = new();

    public ConcurrentQueue<string> Prompts { get; } = new();

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    public bool SawCancellation { get; private set; }

    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<DiffusionStep>? onStep, CancellationToken cancellationToken)
    {
        BatchSizes.Enqueue(requests.Count);
        var targets = requests.Select(r =>
        {
            Requests.Enqueue(r);
            string prompt = Tokenizer.Decode(r.PromptTokens);
            Prompts.Enqueue(prompt);
            var tokens = Tokenizer.Encode(script(prompt)).Append(EndOfTurn).ToList();
            while (tokens.Count < r.MaxNewTokens) tokens.Add(EndOfText);
            return tokens.Take(r.MaxNewTokens).ToArray();
        }).ToArray();
        var canvases = requests.Select(r => Enumerable.Repeat(Mask, r.MaxNewTokens).ToArray()).ToArray();
        int length = requests[0].MaxNewTokens;
        for (int step = 0, left = 0, right = length - 1; left <= right; step++)
        {
            BeforeStep?.Invoke(step);
            if (cancellationToken.IsCancellationRequested)
            {
                SawCancellation = true;
                cancellationToken.ThrowIfCancellationRequested();
            }
            if (requests.All(r => r.CancellationToken.IsCancellationRequested))
            {
                // As the engine does: cancelled rows stop at the next step and finish as Cancelled.
                SawCancellation = true;
                return targets.Select((t, row) => Result(requests[row], canvases[row]) with { FinishReason = DiffusionFinishReason.Cancelled }).ToList();
            }
            var positions = Enumerable.Range(left, Math.Min(TokensPerStep, right - left + 1)).ToList();
            left += positions.Count;
            if (left <= right) positions.Add(right--);
            for (int row = 0; row < requests.Count; row++)
            {
                foreach (int p in positions) canvases[row][p] = targets[row][p];
                int stable = Array.IndexOf(canvases[row], Mask);
                onStep?.Invoke(new DiffusionStep(row, step, 0, positions.Select(p => (p, targets[row][p])).ToList(), canvases[row].ToArray(),
                    stable < 0 ? length : stable, stable < 0));
            }
        }
        return targets.Select((t, row) => Result(requests[row], t)).ToList();
    }

    private GenerationResult Result(GenerationRequest request, int[] canvas)
    {
        int end = Array.FindIndex(canvas, t => Config.EndTokenIds.Contains(t));
        var tokens = end < 0 ? canvas : canvas[..end];
        bool stopped = end >= 0;
        // As the engine does: the text ends where the first stop sequence starts; the tokens are the whole ones before it.
        string text = Tokenizer.Decode(tokens, skipSpecialTokens: true);
        int at = (request.StopSequences ?? []).Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (at >= 0)
        {
            int keep = 0;
            while (keep < tokens.Length && Tokenizer.Decode(tokens.Take(keep + 1), skipSpecialTokens: true).Length <= at) keep++;
            tokens = tokens[..keep];
            text = text[..at];
            stopped = true;
        }
        return new GenerationResult
        {
            Tokens = tokens, Canvas = canvas, Text = text,
            FinishReason = stopped ? DiffusionFinishReason.Stop : DiffusionFinishReason.Length,
            PromptTokenCount = request.PromptTokens.Count, ForwardCalls = 1, Elapsed = TimeSpan.Zero,
        };
    }

    public object? GetService(Type serviceType) => null;

    public void Dispose()
    {
    }

    /// <summary>A script that writes <paramref name="answer"/> from wherever the prompt's assistant turn has got to (the
    /// answer so far follows the assistant header when a skeleton decoder asks for one segment at a time); nothing
    /// when the answer so far is not a start of it.</summary>
    public static Func<string, string> Continuing(string answer) => prompt =>
    {
        const string header = "<|im_start|>assistant\n";
        string soFar = prompt[(prompt.LastIndexOf(header, StringComparison.Ordinal) + header.Length)..];
        return answer.StartsWith(soFar, StringComparison.Ordinal) ? answer[soFar.Length..] : "";
    };

    public static DiffusionChatClient Client(Func<string, string> script, DiffusionChatClientOptions? options = null) =>
        new(new ScriptedBackend(script), options, null, "scripted-model");

    public static DiffusionChatClient Client(ScriptedBackend backend, DiffusionChatClientOptions? options = null) =>
        new(backend, options, null, "scripted-model");
}
