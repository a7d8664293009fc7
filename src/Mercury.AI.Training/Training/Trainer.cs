using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Runtime;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Training.Training;

/// <summary>
/// Masked-diffusion SFT on TorchSharp: AdamW, linear warmup + cosine decay, gradient clipping, a resumable
/// checkpoint every <see cref="TrainingOptions.CheckpointEvery"/> steps, a progress line with loss and tokens/s, and
/// a held-out loss on new instances of the training templates.
/// </summary>
public sealed class Trainer
{
    private const string CheckpointFolderName = "checkpoint";
    private readonly TrainingOptions _options;
    private readonly TextWriter _log;

    public Trainer(TrainingOptions options, TextWriter? log = null)
    {
        _options = options;
        _log = log ?? Console.Out;
    }

    /// <summary>Trains (resuming from the run folder's checkpoint when there is one) and exports the model.</summary>
    public TrainingSummary Run()
    {
        var o = _options;
        // The device first: on a CUDA machine TorchRuntime loads PyTorch's libtorch before anything else touches torch.
        var device = TorchRuntime.ResolveDevice(o.Device);
        torch.set_num_threads(o.Threads);
        // f32 weights on every device: AdamW steps late in a cosine schedule and the 0.001 weight-average lerp are
        // below bf16's resolution (TorchSharp has no autocast to keep f32 masters beside bf16 compute). On CUDA the
        // matmuls run in TF32 instead; the export is bf16 either way.
        var dtype = ScalarType.Float32;
        if (device.type == DeviceType.CUDA) torch.backends.cuda.matmul.allow_tf32 = true;
        var tokenizer = HuggingFaceTokenizer.FromFile(o.TokenizerPath);
        var (maskId, eosId, eotId) = SpecialIds(tokenizer);
        var config = o.Model.ToModelConfig(tokenizer.VocabSize, maskId, eosId, eotId);

        var corpus = CodingCorpus.Load(o.CorpusFolder);
        // Tokenized on every core, in corpus order (the batches depend on it): a GPU run loads a million examples.
        var train = new SftBatcher(corpus.Train.AsParallel().AsOrdered().Where(t => o.Kinds is null || o.Kinds.Contains(t.Kind)).Select(t => SftExample.From(t, tokenizer)),
            o.MaxTrainLength, eosId);
        string ofKinds = o.Kinds is null ? "" : $" of kinds {string.Join(", ", o.Kinds.Order())}";
        if (train.Count == 0 && !o.ExportOnly)
            throw new InvalidDataException($"No training examples in {o.CorpusFolder}{ofKinds} up to {o.MaxTrainLength} tokens.");
        var heldOutSample = HeldOutSample(corpus).Select(t => (t.Kind, Example: SftExample.From(t, tokenizer))).Where(e => e.Example.Length <= o.MaxTrainLength).ToList();
        // The overall pass keeps the sample's order: it is batched by eights and padded per batch, so reordering would
        // change the figure and break comparison with earlier lines of heldout.tsv.
        var heldOut = heldOutSample.Select(e => e.Example).ToList();
        var heldOutByKind = heldOutSample.GroupBy(e => e.Kind, e => e.Example).ToDictionary(g => g.Key, g => g.ToList());
        _log.WriteLine($"corpus: {train.Count} training examples{ofKinds} ({train.Dropped} longer than {o.MaxTrainLength} left out), {heldOut.Count} held-out for the loss");

        using var model = new LLaDAModel(config, new ModelBuildOptions { Device = device, DType = dtype, Trainable = true });
        long parameters = model.parameters().Sum(p => p.numel());
        _log.WriteLine($"model: d_model {config.HiddenSize}, {config.NumLayers} layers, {config.NumHeads} heads, mlp {config.IntermediateSize}, vocab {config.VocabSize}: {parameters / 1e6:F2}M parameters, {dtype} on {device}");
        Initialize(model, config, o.Seed);
        using var forward = new TrainingForward(model);

        var optimizer = optim.AdamW(model.parameters(), lr: o.LearningRate, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: o.WeightDecay);
        string checkpoint = Path.Combine(o.RunFolder, CheckpointFolderName);
        var state = TryResume(model, optimizer, checkpoint);
        using var average = o.AverageDecay > 0 ? new WeightAverage(model, o.AverageDecay, checkpoint) : null;
        if (average is { Resumed: false } && state is not null) _log.WriteLine($"weight average starts at step {state.Step} (none in the checkpoint)");
        int startStep = state?.Step ?? 0;
        double tokensSeen = state?.Tokens ?? 0;
        var trainedBefore = TimeSpan.FromSeconds(state?.Seconds ?? 0);
        if (state is not null) _log.WriteLine($"resumed from {checkpoint} at step {startStep}");
        Directory.CreateDirectory(o.RunFolder);

        var clock = Stopwatch.StartNew();
        double windowLoss = 0, windowTokens = 0;
        int windowSteps = 0;
        var windowClock = Stopwatch.StartNew();
        double lastLoss = double.NaN, heldOutLoss = double.NaN, heldOutAccuracy = double.NaN;
        // Per kind, so a curriculum (--kinds) shows what it improves and what the left-out kinds lose.
        string LossByKind() => string.Join(", ", heldOutByKind.Select(k => $"{k.Key} {HeldOut(model, k.Value, eosId, device, o.Seed).Loss:F3}"));
        string OfAverage()
        {
            if (average is null) return "";
            average.Swap();
            var (loss, accuracy) = HeldOut(model, heldOut, eosId, device, o.Seed);
            average.Swap();
            return $"; weight average: loss {loss:F4}, masked-token accuracy {accuracy:P1}";
        }
        int step = startStep, ranThisProcess = 0;
        bool budgetSpent = false;
        for (; step < o.Steps && !o.ExportOnly; step++)
        {
            var trained = trainedBefore + clock.Elapsed;
            if (o.Minutes is { } minutes && trained.TotalMinutes >= minutes)
            {
                budgetSpent = true;
                _log.WriteLine($"time budget of {minutes} min spent after {step} steps");
                break;
            }
            double lr = o.LearningRateAt(step, trained);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            using var scope = NewDisposeScope();
            var (ids, answerMask) = train.Sample(step, o.BatchSize, o.Seed);
            ids = ids.to(device);
            answerMask = answerMask.to(device);
            using var generator = new Generator(Seeds.Mix(o.Seed, step, 0xd1ff));
            optimizer.zero_grad();
            using var loss = DiffusionObjective.Compute(forward.Forward, config.MaskTokenId, ids, answerMask, generator);
            loss.Loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), o.ClipNorm);
            optimizer.step();
            average?.Update();

            lastLoss = loss.Loss.item<float>();
            windowLoss += lastLoss;
            windowSteps++;
            windowTokens += ids.numel();
            tokensSeen += ids.numel();
            ranThisProcess++;
            if ((step + 1) % o.LogEvery == 0 || step + 1 == o.Steps)
            {
                double rate = windowTokens / windowClock.Elapsed.TotalSeconds;
                double stepsPerSecond = ranThisProcess / clock.Elapsed.TotalSeconds;
                var eta = o.Minutes is { } budget
                    ? TimeSpan.FromMinutes(budget) - trainedBefore - clock.Elapsed
                    : TimeSpan.FromSeconds((o.Steps - step - 1) / Math.Max(1e-9, stepsPerSecond));
                _log.WriteLine($"step {step + 1}/{o.Steps} | loss {windowLoss / windowSteps:F4} | lr {lr:E2} | {rate:F0} tok/s | elapsed {clock.Elapsed:hh\\:mm\\:ss} | ETA {eta:hh\\:mm\\:ss}");
                windowLoss = windowTokens = 0;
                windowSteps = 0;
                windowClock.Restart();
            }
            if ((step + 1) % o.EvalEvery == 0)
            {
                (heldOutLoss, heldOutAccuracy) = HeldOut(model, heldOut, eosId, device, o.Seed);
                _log.WriteLine($"held-out @ step {step + 1}: loss {heldOutLoss:F4}, masked-token accuracy {heldOutAccuracy:P1}; loss by kind: {LossByKind()}{OfAverage()}");
                File.AppendAllText(Path.Combine(o.RunFolder, "heldout.tsv"), $"{step + 1}\t{heldOutLoss:F4}\t{heldOutAccuracy:F4}\t{lastLoss:F4}\n");
            }
            if ((step + 1) % o.CheckpointEvery == 0 || step + 1 == o.Steps)
                Save(model, optimizer, average, checkpoint, new TrainingState(step + 1, tokensSeen, (trainedBefore + clock.Elapsed).TotalSeconds));
            if (o.MaxStepsThisRun is { } max && ranThisProcess >= max)
            {
                step++;
                Save(model, optimizer, average, checkpoint, new TrainingState(step, tokensSeen, (trainedBefore + clock.Elapsed).TotalSeconds));
                break;
            }
        }

        bool finished = step >= o.Steps || budgetSpent || o.ExportOnly;
        if (ranThisProcess > 0 && finished)
        {
            if (step % o.CheckpointEvery != 0) Save(model, optimizer, average, checkpoint, new TrainingState(step, tokensSeen, (trainedBefore + clock.Elapsed).TotalSeconds));
            (heldOutLoss, heldOutAccuracy) = HeldOut(model, heldOut, eosId, device, o.Seed);
            _log.WriteLine($"held-out @ step {step} (final): loss {heldOutLoss:F4}, masked-token accuracy {heldOutAccuracy:P1}; loss by kind: {LossByKind()}{OfAverage()}");
            File.AppendAllText(Path.Combine(o.RunFolder, "heldout.tsv"), $"{step}\t{heldOutLoss:F4}\t{heldOutAccuracy:F4}\t{lastLoss:F4}\n");
        }
        if (o.ModelFolder is { } folder && finished)
        {
            // The average is what a run with one ships: the last step's weights are noisier.
            average?.Swap();
            Export(model, config, o, folder);
            _log.WriteLine($"exported {(average is null ? "the weights" : "the weight average")} to {folder}");
        }
        _log.WriteLine($"trained {step} steps, {tokensSeen / 1e6:F2}M tokens (padding included) in {trainedBefore + clock.Elapsed:hh\\:mm\\:ss}");
        return new TrainingSummary(step, parameters, lastLoss, heldOutLoss, heldOutAccuracy, tokensSeen, trainedBefore + clock.Elapsed);
    }

    /// <summary>64 held-out examples spread over the kinds (the file is grouped by kind), for the held-out loss.</summary>
    public static IEnumerable<CorpusExample> HeldOutSample(CodingCorpus corpus) =>
        corpus.HeldOutSeen.GroupBy(e => e.Kind).SelectMany(g => g.Take(16)).Take(64);

    public static (int Mask, int Eos, int Eot) SpecialIds(HuggingFaceTokenizer tokenizer) =>
        (tokenizer.TokenToId(ChatFormat.Mask) ?? throw new InvalidDataException("tokenizer has no <|mask|>"),
         tokenizer.TokenToId(ChatFormat.EndOfText) ?? throw new InvalidDataException("tokenizer has no <|endoftext|>"),
         tokenizer.TokenToId(ChatFormat.ImEnd) ?? throw new InvalidDataException("tokenizer has no <|im_end|>"));

    /// <summary>GPT-style init: N(0, 0.02), output projections scaled by 1/√(2·layers), norms at 1.</summary>
    public static void Initialize(nn.Module model, ModelConfig config, int seed)
    {
        torch.manual_seed(seed);
        using var noGrad = no_grad();
        double residualStd = 0.02 / Math.Sqrt(2.0 * config.NumLayers);
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() == 1) p.fill_(1.0);
            else if (name.Contains(".blocks.", StringComparison.Ordinal) && (name.EndsWith("attn_out.weight", StringComparison.Ordinal) || name.EndsWith("ff_out.weight", StringComparison.Ordinal)))
                p.normal_(0, residualStd);
            else p.normal_(0, 0.02);
        }
    }

    /// <summary>Mean loss and masked-token accuracy over the held-out examples at fixed mask ratios (seeded, so comparable across steps and sittings).</summary>
    public static (double Loss, double Accuracy) HeldOut(IDiffusionLanguageModel model, IReadOnlyList<SftExample> examples, int eosId, Device device, int seed)
    {
        var r = HeldOutDetailed(model, examples, eosId, device, seed);
        return (r.Loss, r.Accuracy);
    }

    /// <summary>
    /// As <see cref="HeldOut"/>, plus the accuracy on answer text only (EOS padding after the answer's own
    /// <c>&lt;|endoftext|&gt;</c> excluded: those positions are easy and would flatter the number).
    /// </summary>
    public static HeldOutResult HeldOutDetailed(IDiffusionLanguageModel model, IReadOnlyList<SftExample> examples, int eosId, Device device, int seed)
    {
        if (examples.Count == 0) return new(double.NaN, double.NaN, double.NaN);
        using var noGrad = no_grad();
        double loss = 0;
        long correct = 0, masked = 0, textCorrect = 0, textMasked = 0;
        int batches = 0;
        double[] ratios = [0.25, 0.5, 0.75, 1.0];
        for (int i = 0; i < examples.Count; i += 8)
        {
            var rows = examples.Skip(i).Take(8).ToList();
            int length = (rows.Max(r => r.Length) + SftBatcher.Granularity - 1) / SftBatcher.Granularity * SftBatcher.Granularity;
            var (ids, answerMask) = SftBatcher.Collate(rows, length, eosId);
            var text = new bool[rows.Count * length];
            for (int r = 0; r < rows.Count; r++)
                for (int p = rows[r].Prompt.Length; p < rows[r].Length; p++) text[r * length + p] = true;
            using var textMask = tensor(text, [rows.Count, length]).to(device);
            using var idsOnDevice = ids.to(device);
            using var maskOnDevice = answerMask.to(device);
            foreach (double ratio in ratios)
            {
                using var generator = new Generator(Seeds.Mix(seed, i, (long)(ratio * 100)));
                using var result = DiffusionObjective.Compute(ids => model.Forward(ids), model.Config.MaskTokenId, idsOnDevice, maskOnDevice, generator, ratio, textMask);
                loss += result.Loss.item<float>();
                correct += result.Correct;
                masked += result.Masked;
                textCorrect += result.CountedCorrect;
                textMasked += result.Counted;
                batches++;
            }
            ids.Dispose();
            answerMask.Dispose();
        }
        return new(loss / batches, (double)correct / Math.Max(1, masked), (double)textCorrect / Math.Max(1, textMasked));
    }

    private sealed record TrainingState(int Step, double Tokens, double Seconds = 0);

    private static void Save(nn.Module model, TorchSharp.Modules.AdamW optimizer, WeightAverage? average, string folder, TrainingState state)
    {
        string tmp = folder + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        SafeTensorsWriter.Write(Path.Combine(tmp, "model.safetensors"), model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)));
        optimizer.save_state_dict(Path.Combine(tmp, "optimizer.bin"));
        average?.Save(tmp);
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state));
        // Swap in whole, so a crash mid-save leaves the previous checkpoint intact.
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
        Directory.Move(tmp, folder);
    }

    private static TrainingState? TryResume(nn.Module model, TorchSharp.Modules.AdamW optimizer, string folder)
    {
        string statePath = Path.Combine(folder, "state.json");
        // A crash between Save's delete and move leaves only the new, complete checkpoint (state.json is written last).
        if (!File.Exists(statePath) && File.Exists(Path.Combine(folder + ".tmp", "state.json")))
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            Directory.Move(folder + ".tmp", folder);
        }
        if (!File.Exists(statePath)) return null;
        using (var checkpoint = CheckpointFolder.Open(folder)) ModelLoader.LoadWeights(model, checkpoint);
        optimizer.load_state_dict(Path.Combine(folder, "optimizer.bin"));
        return JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(statePath));
    }

    /// <summary>Writes the shipped form: LLaDA config.json, tokenizer.json, bf16 weights in shards under 16 MiB with an index.</summary>
    public static void Export(nn.Module model, ModelConfig config, TrainingOptions options, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var old in Directory.GetFiles(folder, "model*.safetensors*")) File.Delete(old);
        var tokenizer = HuggingFaceTokenizer.FromFile(options.TokenizerPath);
        var (maskId, eosId, eotId) = SpecialIds(tokenizer);
        var json = options.Model.ToConfigJson(config.VocabSize, maskId, eosId, eotId);
        File.WriteAllText(Path.Combine(folder, CheckpointFolder.ConfigFileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Copy(options.TokenizerPath, Path.Combine(folder, "tokenizer.json"), overwrite: true);
        // The prompt format the model was trained on travels with it; the sampler fields are the recipe's until an
        // evaluation picks the default (see the model card).
        if (!File.Exists(Path.Combine(folder, GenerationConfig.FileName))) File.Copy(ChatFormat.RecipeFile, Path.Combine(folder, GenerationConfig.FileName));
        using var scope = NewDisposeScope();
        var tensors = model.named_parameters().Select(p => KeyValuePair.Create(p.name, p.parameter.detach().to_type(ScalarType.BFloat16).cpu())).ToList();
        // 4 MiB shards: the bf16 model is ~5 MB, so it ships as a real sharded checkpoint (index + shards), far under the 16 MiB limit.
        SafeTensorsWriter.WriteSharded(folder, tensors, maxShardBytes: 4L << 20);
    }
}

public sealed record HeldOutResult(double Loss, double Accuracy, double TextAccuracy);

public sealed record TrainingSummary(int Steps, long Parameters, double LastLoss, double HeldOutLoss, double HeldOutAccuracy, double Tokens, TimeSpan Elapsed);
