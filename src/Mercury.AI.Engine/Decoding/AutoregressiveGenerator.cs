using System.Diagnostics;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Decoding;

/// <summary>
/// The autoregressive baseline: the same weights and engine run with causal attention and a KV cache, one greedy token
/// per forward (position i predicts i + 1). It exists so benchmarks can state "diffusion vs autoregressive" on the same
/// shapes, device and code quality; a diffusion checkpoint was not trained for it, so its text means nothing.
/// </summary>
public sealed class AutoregressiveGenerator(IDiffusionLanguageModel model)
{
    /// <summary>Called after each token with the elapsed time since the previous one (the first is the prefill).</summary>
    public Action<TimeSpan>? OnToken { get; set; }

    /// <summary>Generates <paramref name="newTokens"/> tokens for each row of <paramref name="prompts"/> (equal lengths).</summary>
    public long[][] Generate(IReadOnlyList<IReadOnlyList<int>> prompts, int newTokens, bool useCache = true)
    {
        int batch = prompts.Count, promptLength = prompts[0].Count;
        if (prompts.Any(p => p.Count != promptLength)) throw new ArgumentException("The baseline takes prompts of equal length.", nameof(prompts));
        if (promptLength + newTokens > model.Config.MaxSequenceLength)
            throw new ArgumentException($"{promptLength} + {newTokens} tokens exceed max_sequence_length {model.Config.MaxSequenceLength}.");
        using var noGrad = no_grad();
        var output = prompts.Select(p => new List<long>(p.Select(t => (long)t))).ToArray();
        using var cache = useCache ? model.CreateCache(batch, promptLength + newTokens) : null;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < newTokens; i++)
        {
            using var scope = NewDisposeScope();
            Tensor logits;
            int length = promptLength + i;
            if (cache is null || i == 0)
            {
                // Prefill (or, without a cache, the full causal forward every step).
                var ids = tensor(output.SelectMany(r => r).ToArray(), device: model.Device).view(batch, length);
                logits = model.Forward(ids, new ForwardOptions { Cache = cache, Causal = true, LogitsStart = length - 1, LogitsLength = 1 });
            }
            else
            {
                var last = tensor(output.Select(r => r[^1]).ToArray(), device: model.Device).view(batch, 1);
                logits = model.Forward(last, new ForwardOptions { Cache = cache, Offset = length - 1, LogitsLength = 1 });
            }
            var next = logits.argmax(-1).view(batch).cpu().data<long>().ToArray();                  // the step's one sync
            for (int r = 0; r < batch; r++) output[r].Add(next[r]);
            OnToken?.Invoke(clock.Elapsed);
            clock.Restart();
        }
        return output.Select(r => r.Skip(promptLength).ToArray()).ToArray();
    }
}
