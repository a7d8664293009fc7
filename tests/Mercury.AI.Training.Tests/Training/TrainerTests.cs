using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Training.Tests.Training;

public class TrainerTests
{
    private static readonly TinyModelSpec Tiny = new() { DModel = 32, Layers = 2, Heads = 2, MlpHidden = 64, MaxSequenceLength = 512 };

    private static LLaDAModel NewTinyModel(int vocab = 64, int seed = 1)
    {
        var config = Tiny.ToModelConfig(vocab, maskId: 3, eosId: 0, eotId: 2);
        var model = new LLaDAModel(config, new ModelBuildOptions { Trainable = true });
        Trainer.Initialize(model, config, seed);
        return model;
    }

    private static (Tensor Ids, Tensor AnswerMask) FixedBatch()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 4).Select(_ => new SftExample(
            Enumerable.Range(0, 6).Select(_ => random.Next(4, 64)).ToArray(),
            Enumerable.Range(0, 10).Select(_ => random.Next(4, 64)).Append(2).Append(0).ToArray())).ToList();
        return SftBatcher.Collate(rows, 32, eosId: 0);
    }

    [Fact]
    public void Training_forward_matches_the_engine_forward()
    {
        using var model = NewTinyModel();
        using var forward = new TrainingForward(model);
        var (ids, _) = FixedBatch();
        using var noGrad = no_grad();
        using var engine = model.Forward(ids);
        using var training = forward.Forward(ids);
        double diff = (engine - training).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max |diff| {diff}");
    }

    [Fact]
    public void One_step_lowers_the_loss_on_a_fixed_batch()
    {
        torch.set_num_threads(1);
        using var model = NewTinyModel();
        using var forward = new TrainingForward(model);
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-2);
        var (ids, answerMask) = FixedBatch();
        double Loss()
        {
            using var generator = new Generator(11);
            using var loss = DiffusionObjective.Compute(forward.Forward, 3, ids, answerMask, generator, maskRatio: 0.5);
            return loss.Loss.item<float>();
        }
        double before = Loss();
        using (var generator = new Generator(11))
        using (var loss = DiffusionObjective.Compute(forward.Forward, 3, ids, answerMask, generator, maskRatio: 0.5))
        {
            optimizer.zero_grad();
            loss.Loss.backward();
            optimizer.step();
        }
        double after = Loss();
        Assert.True(after < before, $"loss {before} -> {after}");
    }

    [Fact]
    public void Prompt_tokens_are_never_masked_and_padding_counts_as_answer()
    {
        var (ids, answerMask) = FixedBatch();
        Assert.Equal([4, 32], ids.shape);
        Assert.False(answerMask[.., ..6].any().item<bool>());
        Assert.True(answerMask[.., 6..].all().item<bool>());
        Assert.Equal(0L, ids[0, 31].item<long>()); // EOS padding
        bool promptKept = false, answerMasked = false;
        var result = DiffusionObjective.Compute(x =>
        {
            promptKept = x[.., ..6].eq(ids[.., ..6]).all().item<bool>();
            answerMasked = x[.., 6..].eq(3).all().item<bool>();
            return torch.zeros(x.shape[0], x.shape[1], 64);
        }, 3, ids, answerMask, new Generator(1), maskRatio: 1.0);
        Assert.True(promptKept);
        Assert.True(answerMasked);
        Assert.Equal(4 * 26, result.Masked);
    }

    [Fact]
    public void Learning_rate_warms_up_then_decays_by_cosine()
    {
        var o = new TrainingOptions { CorpusFolder = "", TokenizerPath = "", RunFolder = "", Steps = 1000, WarmupSteps = 100, LearningRate = 1e-3 };
        Assert.Equal(1e-5, o.LearningRateAt(0), 9);
        Assert.Equal(1e-3, o.LearningRateAt(99), 9);
        Assert.Equal(1e-4, o.LearningRateAt(1000), 9);
        Assert.True(o.LearningRateAt(500) < o.LearningRateAt(200));
        var timed = o with { Minutes = 10 };
        Assert.Equal(1e-4, timed.LearningRateAt(500, TimeSpan.FromMinutes(10)), 9);
    }

    [Fact]
    public void Batches_and_masks_are_seeded_alike_in_every_process()
    {
        // Pinned values: HashCode.Combine, used before, gives other ones in each process, so a resumed run drew other
        // batches and masks. The first is SplitMix64's published first output for state 0.
        Assert.Equal(0xE220A8397B1DCDAFUL, Seeds.Mix(0));
        Assert.Equal(0xEE8EE30F81887686UL, Seeds.Mix(1234, 7, 0x5eed));
        Assert.Equal(25720454, Seeds.MixToInt(1234, 7, 0x5eed));
    }

    [Fact]
    public void Trains_resumes_exports_and_the_export_loads_and_generates()
    {
        string run = Path.Combine(SmallWorld.Folder, "run-" + Guid.NewGuid().ToString("N"));
        string modelFolder = Path.Combine(run, "model");
        var options = new TrainingOptions
        {
            CorpusFolder = SmallWorld.CorpusFolder, TokenizerPath = SmallWorld.TokenizerPath, RunFolder = run, ModelFolder = modelFolder,
            Model = Tiny, Steps = 4, BatchSize = 2, WarmupSteps = 1, Threads = 1, EvalEvery = 1000, CheckpointEvery = 1000, MaxStepsThisRun = 2, MaxTrainLength = 512,
        };
        var log = new StringWriter();
        var first = new Trainer(options, log).Run();
        Assert.Equal(2, first.Steps);
        Assert.False(Directory.Exists(modelFolder));
        // Killed inside a save, after the old checkpoint was removed and before the new one was moved in.
        Directory.Move(Path.Combine(run, "checkpoint"), Path.Combine(run, "checkpoint.tmp"));
        var second = new Trainer(options with { MaxStepsThisRun = null }, log).Run();
        Assert.Equal(4, second.Steps);
        Assert.Contains("resumed from", log.ToString());
        Assert.Contains("tok/s", log.ToString());
        Assert.Matches(@"\(final\): loss [0-9.]+, masked-token accuracy [0-9.]+ %; loss by kind: Function [0-9.]+", log.ToString());

        Assert.True(File.Exists(Path.Combine(modelFolder, "model.safetensors")) || File.Exists(Path.Combine(modelFolder, "model.safetensors.index.json")));
        // The prompt format it was trained on travels with it.
        Assert.Equal(ChatFormat.Recipe, GenerationConfig.Load(modelFolder));
        using var model = ModelLoader.Load(modelFolder);
        Assert.Equal("llada", model.Config.ModelType);
        var tokenizer = HuggingFaceTokenizer.FromFile(modelFolder);
        Assert.Equal(tokenizer.TokenToId(ChatFormat.Mask), model.Config.MaskTokenId);
        var generator = new DiffusionGenerator(model, tokenizer);
        var result = generator.Generate(new GenerationRequest
        {
            PromptTokens = tokenizer.Encode(ChatFormat.Template(ChatFormat.Recipe).Render([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Write a Python function `f(x)`.")])),
            MaxNewTokens = 32,
            Options = new DiffusionOptions { Seed = 0 },
        });
        Assert.True(result.Tokens.Count <= 32);
        Assert.DoesNotContain(model.Config.MaskTokenId, result.Tokens);
    }

    [Fact]
    public void The_weight_average_follows_the_weights_and_swaps_with_them()
    {
        using var model = NewTinyModel();
        string folder = Path.Combine(SmallWorld.Folder, "ema-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var (_, weight) = model.named_parameters().First(p => p.parameter.dim() == 2);
        using var before = weight.detach().clone();
        using var average = new WeightAverage(model, decay: 0.75, folder);
        Assert.False(average.Resumed);
        using (no_grad()) weight.add_(1.0);
        average.Update();
        // 0.75·before + 0.25·(before + 1)
        using (var expected = before + 0.25)
        {
            average.Swap();
            Assert.True(weight.allclose(expected, rtol: 0, atol: 1e-6));
            average.Swap();
        }
        using (var moved = before + 1.0) Assert.True(weight.allclose(moved));

        average.Save(folder);
        using var resumed = new WeightAverage(model, decay: 0.75, folder);
        Assert.True(resumed.Resumed);
        resumed.Swap();
        using (var expected = before + 0.25) Assert.True(weight.allclose(expected, rtol: 0, atol: 1e-6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage(model, decay: 1.0, folder));
        // An average saved for another model fails with the file and the tensor named.
        using var other = NewTinyModel(vocab: 80);
        var error = Assert.Throws<InvalidDataException>(() => new WeightAverage(other, decay: 0.75, folder));
        Assert.Contains(WeightAverage.FileName, error.Message);
        Assert.Contains("has shape", error.Message);
    }

    [Fact]
    public void A_run_with_a_weight_average_resumes_it_and_exports_it()
    {
        using var scope = NewDisposeScope();
        string run = Path.Combine(SmallWorld.Folder, "run-" + Guid.NewGuid().ToString("N"));
        string modelFolder = Path.Combine(run, "model");
        var options = new TrainingOptions
        {
            CorpusFolder = SmallWorld.CorpusFolder, TokenizerPath = SmallWorld.TokenizerPath, RunFolder = run, ModelFolder = modelFolder,
            Model = Tiny, Steps = 4, BatchSize = 2, WarmupSteps = 1, Threads = 1, EvalEvery = 1000, CheckpointEvery = 1000, MaxStepsThisRun = 2,
            MaxTrainLength = 512, AverageDecay = 0.5,
        };
        var log = new StringWriter();
        new Trainer(options, log).Run();
        string checkpoint = Path.Combine(run, "checkpoint");
        Assert.True(File.Exists(Path.Combine(checkpoint, WeightAverage.FileName)));
        new Trainer(options with { MaxStepsThisRun = null }, log).Run();
        Assert.DoesNotContain("weight average starts", log.ToString());
        Assert.Matches(@"\(final\): .*; weight average: loss [0-9.]+, masked-token accuracy", log.ToString());
        Assert.Contains("exported the weight average", log.ToString());

        using var exported = CheckpointFolder.Open(modelFolder);
        using var averaged = CheckpointFolder.Open(checkpoint, WeightAverage.FileName);
        using var last = CheckpointFolder.Open(checkpoint);
        bool differsFromLast = false;
        foreach (string key in exported.Keys)
        {
            using var shipped = exported.Read(key);
            using var mean = averaged.Read(key).to_type(ScalarType.BFloat16);
            using var final = last.Read(key).to_type(ScalarType.BFloat16);
            Assert.True(shipped.allclose(mean, rtol: 0, atol: 0), key);
            differsFromLast |= !shipped.allclose(final, rtol: 0, atol: 0);
        }
        Assert.True(differsFromLast);
    }

    [Fact]
    public void Kinds_restrict_training_to_a_curriculum()
    {
        string run = Path.Combine(SmallWorld.Folder, "run-" + Guid.NewGuid().ToString("N"));
        var options = new TrainingOptions
        {
            CorpusFolder = SmallWorld.CorpusFolder, TokenizerPath = SmallWorld.TokenizerPath, RunFolder = run, Model = Tiny, Steps = 1, BatchSize = 2,
            WarmupSteps = 1, Threads = 1, EvalEvery = 1000, CheckpointEvery = 1000, MaxTrainLength = 512, Kinds = new HashSet<ExampleKind> { ExampleKind.Function, ExampleKind.ToolCall },
        };
        var log = new StringWriter();
        new Trainer(options, log).Run();
        var tokenizer = HuggingFaceTokenizer.FromFile(SmallWorld.TokenizerPath);
        int expected = SmallWorld.Corpus.Train.Count(e => e.Kind is ExampleKind.Function or ExampleKind.ToolCall && SftExample.From(e, tokenizer).Length <= 512);
        Assert.Contains($"corpus: {expected} training examples of kinds Function, ToolCall (", log.ToString());
        Assert.True(expected < SmallWorld.Corpus.Train.Count);
        // Nothing left to train on (here every example is longer than the limit) fails with a clear message.
        var error = Assert.Throws<InvalidDataException>(() => new Trainer(options with { MaxTrainLength = 8 }, log).Run());
        Assert.Contains("No training examples", error.Message);
    }
}
