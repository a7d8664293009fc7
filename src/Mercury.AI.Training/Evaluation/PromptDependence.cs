using Mercury.AI.Chat.Templates;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Training;
using Microsoft.Extensions.AI;
using static TorchSharp.torch;

namespace Mercury.AI.Training.Evaluation;

/// <summary>
/// How much a model reads its instruction: masked-token accuracy on the answer text of held-out tasks, once with each
/// task's own prompt and once with the prompt of the next task in the list (same kind and language, answers unchanged).
/// A model that only learned the shape of answers scores the same on both; one that follows instructions loses
/// accuracy when the instruction does not match its answer. Cheap (forward passes only), so it tracks a run between
/// pass@1 evaluations.
/// </summary>
public static class PromptDependence
{
    public sealed record Result(string Group, int Tasks, double OwnPromptTextAccuracy, double SwappedPromptTextAccuracy, double OwnPromptLoss, double SwappedPromptLoss);

    public static Result Measure(string group, IDiffusionLanguageModel model, IReadOnlyList<SftExample> examples, int eosId, Device device, int seed = 1)
    {
        if (examples.Count < 2) throw new ArgumentException($"'{group}' needs at least two examples to swap prompts.", nameof(examples));
        var swapped = examples.Select((e, i) => e with { Prompt = examples[(i + 1) % examples.Count].Prompt }).ToList();
        var own = Trainer.HeldOutDetailed(model, examples, eosId, device, seed);
        var other = Trainer.HeldOutDetailed(model, swapped, eosId, device, seed);
        return new(group, examples.Count, own.TextAccuracy, other.TextAccuracy, own.Loss, other.Loss);
    }

    /// <summary>The <c>conditioning</c> command: the first <paramref name="limit"/> held-out functions of each language
    /// and split (each instruction rendered with the model folder's own template and system prompt, as the client does),
    /// and the held-out tool calls (as the corpus rendered them from the real tool stacks).</summary>
    public static List<Result> Run(string modelFolder, string corpusFolder, int limit, TextWriter log)
    {
        using var model = ModelLoader.Load(modelFolder);
        var tokenizer = HuggingFaceTokenizer.FromFile(modelFolder);
        var corpus = CodingCorpus.Load(corpusFolder);
        int eos = Trainer.SpecialIds(tokenizer).Eos;
        // The client's own choice for this folder (a default DiffusionChatClient: template detected from the tokenizer).
        var template = ChatTemplate.Create(ChatTemplateKind.Auto, tokenizer, model.Config.Architecture, GenerationConfig.Load(modelFolder));
        SftExample Tokenize(CorpusExample e) => e.Kind == ExampleKind.Function
            ? new(tokenizer.Encode(template.Render([new ChatMessage(ChatRole.User, e.Instruction)])).ToArray(), tokenizer.Encode(ChatFormat.AnswerSuffix(e.Answer)).ToArray())
            : SftExample.From(e, tokenizer);
        var groups = new List<(string Name, IEnumerable<CorpusExample> Examples)>();
        foreach (var (split, examples) in new[] { ("seen", corpus.HeldOutSeen), ("unseen", corpus.Unseen) })
        {
            foreach (var language in new[] { "python", "javascript", "csharp" })
                groups.Add(($"{language} {split}", examples.Where(e => e.Kind == ExampleKind.Function && e.Language == language)));
            groups.Add(($"tool calls {split}", examples.Where(e => e.Kind == ExampleKind.ToolCall)));
        }
        var results = new List<Result>();
        log.WriteLine("group | tasks | answer-text accuracy, own prompt | swapped prompt | loss own | loss swapped");
        foreach (var (name, examples) in groups)
        {
            var rows = examples.Where(e => e.Kind == ExampleKind.Function || e.Prompt.Length > 0).Select(Tokenize).Where(e => e.Length <= model.Config.MaxSequenceLength).Take(limit).ToList();
            if (rows.Count < 2) continue;
            var r = Measure(name, model, rows, eos, CPU);
            results.Add(r);
            log.WriteLine($"{r.Group} | {r.Tasks} | {r.OwnPromptTextAccuracy:P1} | {r.SwappedPromptTextAccuracy:P1} | {r.OwnPromptLoss:F3} | {r.SwappedPromptLoss:F3}");
        }
        return results;
    }
}
