using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Checkpoints;

/// <summary>
/// Bad checkpoints fail with a <see cref="CheckpointException"/> that names the file and the problem, never with a
/// crash deep in TorchSharp. Every case edits a private copy of a fixture in a temp folder.
/// </summary>
public class CheckpointErrorTests
{
    private const string LLaDA = "llada-tiny";
    private const string Dream = "dream-tiny";
    private const string SomeKey = "model.transformer.blocks.1.ff_out.weight";

    // ---- tensors vs architecture -------------------------------------------------------------------------------

    [Fact]
    public void Missing_tensor_is_reported_with_its_key()
    {
        using var folder = Checkpoint(LLaDA, tensors => tensors.Where(t => t.Key != SomeKey));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Path, "missing 1 tensor", SomeKey);
    }

    [Fact]
    public void Extra_tensor_is_reported_with_its_key_in_the_file_that_holds_it()
    {
        const string extra = "model.transformer.blocks.0.attn_norm.bias";
        using var folder = Checkpoint(LLaDA, tensors => tensors.Append(new(extra, zeros(64))));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "does not use", extra);
    }

    [Fact]
    public void Misshaped_tensor_is_reported_with_both_shapes()
    {
        using var folder = Checkpoint(LLaDA, tensors => tensors.Select(t => t.Key == SomeKey ? new(t.Key, zeros(64, 161)) : t));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, SomeKey, "[64, 161]", "[64, 160]");
    }

    [Fact]
    public void Integer_weights_for_a_float_parameter_are_reported_with_the_dtype()
    {
        using var folder = Checkpoint(LLaDA, tensors => tensors.Select(t => t.Key == SomeKey ? new(t.Key, t.Value.to_type(ScalarType.Int32)) : t));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, SomeKey, "I32", "F32");
    }

    // ---- config.json -------------------------------------------------------------------------------------------

    [Fact]
    public void Unknown_architecture_in_config_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        folder.EditConfig(c =>
        {
            c["model_type"] = "gpt2";
            c["architectures"] = new JsonArray("GPT2LMHeadModel");
        });
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, "unknown architecture", "gpt2", "GPT2LMHeadModel", "LLaDA", "Dream");
    }

    [Fact]
    public void Missing_config_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        File.Delete(folder.Config);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, "config.json not found");
    }

    [Fact]
    public void Config_that_is_not_json_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        File.WriteAllText(folder.Config, "d_model: 64\nn_heads: 4\n");
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, "not valid JSON");
    }

    [Fact]
    public void Config_that_is_not_a_json_object_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        File.WriteAllText(folder.Config, "[64, 4]");
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, "not a JSON object");
    }

    [Theory]
    [InlineData(LLaDA, "alibi", "true", "alibi")]
    [InlineData(LLaDA, "rope", "false", "RoPE")]
    [InlineData(LLaDA, "block_type", "\"sequential\"", "block_type 'sequential'")]
    [InlineData(LLaDA, "layer_norm_type", "\"default\"", "layer_norm_type 'default'")]
    [InlineData(LLaDA, "activation_type", "\"gelu\"", "activation_type 'gelu'")]
    [InlineData(LLaDA, "include_bias", "true", "include_bias")]
    [InlineData(LLaDA, "input_emb_norm", "true", "input_emb_norm")]
    [InlineData(LLaDA, "scale_logits", "true", "scale_logits")]
    [InlineData(LLaDA, "clip_qkv", "8.0", "clip_qkv")]
    [InlineData(LLaDA, "attention_layer_norm", "true", "attention_layer_norm")]
    [InlineData(Dream, "rope_scaling", """{"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}""", "rope_scaling")]
    [InlineData(Dream, "use_sliding_window", "true", "sliding-window")]
    [InlineData(Dream, "hidden_act", "\"gelu\"", "hidden_act 'gelu'")]
    public void Unsupported_config_option_is_reported_by_name(string fixture, string key, string json, string named)
    {
        using var folder = Checkpoint(fixture);
        folder.EditConfig(c => c[key] = JsonNode.Parse(json));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, named, "not supported");
    }

    [Theory]
    [InlineData(LLaDA, "model_type", "42")]
    [InlineData(LLaDA, "block_type", "1")]
    [InlineData(LLaDA, "activation_type", "[\"silu\"]")]
    [InlineData(Dream, "hidden_act", "{}")]
    [InlineData(Dream, "architectures", "[7]")]
    public void Config_value_of_the_wrong_type_is_reported_with_its_key(string fixture, string key, string json)
    {
        using var folder = Checkpoint(fixture);
        folder.EditConfig(c => c[key] = JsonNode.Parse(json));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, $"'{key}'", "string");
    }

    [Theory]
    [InlineData(LLaDA, "n_heads", 0)]
    [InlineData(LLaDA, "d_model", -64)]
    [InlineData(LLaDA, "n_layers", -1)]
    [InlineData(LLaDA, "n_kv_heads", 0)]
    [InlineData(Dream, "intermediate_size", 0)]
    [InlineData(Dream, "max_position_embeddings", 0)]
    [InlineData(Dream, "vocab_size", -512)]
    public void Non_positive_size_in_config_is_reported(string fixture, string key, int value)
    {
        using var folder = Checkpoint(fixture);
        folder.EditConfig(c => c[key] = value);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, $"{value}", "must be positive");
    }

    [Fact]
    public void Missing_required_config_key_is_reported_with_its_name()
    {
        using var folder = Checkpoint(Dream);
        folder.EditConfig(c => c.Remove("hidden_size"));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, "'hidden_size'");
    }

    // ---- the safetensors file ----------------------------------------------------------------------------------

    [Fact]
    public void File_cut_in_the_data_region_is_reported_as_truncated()
    {
        using var folder = Checkpoint(LLaDA);
        long length = new FileInfo(folder.Weights).Length;
        Truncate(folder.Weights, length - 1000);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "truncated", $"{length - 1000}");
    }

    [Fact]
    public void File_cut_inside_the_header_is_reported_as_truncated()
    {
        using var folder = Checkpoint(LLaDA);
        Truncate(folder.Weights, 8 + 100);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "truncated", "header");
    }

    [Fact]
    public void File_shorter_than_the_length_field_is_reported_as_truncated()
    {
        using var folder = Checkpoint(LLaDA);
        Truncate(folder.Weights, 5);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "truncated", "5 bytes");
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(0L)]
    [InlineData(0x7B22_6D6F_6465_6C22L)] // ASCII text where the length should be
    public void Garbage_header_length_is_reported_as_corrupt(long garbage)
    {
        using var folder = Checkpoint(LLaDA);
        using (var stream = new FileStream(folder.Weights, FileMode.Open, FileAccess.Write))
            stream.Write(BitConverter.GetBytes(garbage));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "corrupt", "header length", $"{garbage}");
    }

    [Fact]
    public void Header_that_is_not_json_is_reported_as_corrupt()
    {
        using var folder = Checkpoint(LLaDA);
        var bytes = File.ReadAllBytes(folder.Weights);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        bytes.AsSpan(8 + 10, (int)headerLength - 20).Fill((byte)'#');
        File.WriteAllBytes(folder.Weights, bytes);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "corrupt", "not valid JSON");
    }

    [Fact]
    public void Header_that_is_not_an_object_is_reported_as_corrupt()
    {
        using var folder = Checkpoint(LLaDA);
        WriteRaw(folder.Weights, "[1, 2, 3]", []);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "corrupt", "not a JSON object");
    }

    [Fact]
    public void Data_offsets_that_do_not_match_dtype_and_shape_are_reported_as_corrupt()
    {
        using var folder = Checkpoint(LLaDA);
        RewriteHeader(folder.Weights, h => h["model.transformer.ln_f.weight"]!["shape"] = new JsonArray(63));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "corrupt", "model.transformer.ln_f.weight", "F32[63]", "252 bytes", "span 256");
    }

    [Theory]
    [InlineData("""{"dtype": "F32", "shape": [2]}""", "data_offsets")]
    [InlineData("""{"dtype": "F32", "shape": [2], "data_offsets": [0]}""", "data_offsets")]
    [InlineData("""{"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}""", "data_offsets")]
    [InlineData("""{"dtype": "F32", "shape": ["two"], "data_offsets": [0, 8]}""", "shape")]
    [InlineData("""{"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}""", "negative")]
    [InlineData("""{"dtype": 7, "shape": [2], "data_offsets": [0, 8]}""", "dtype")]
    [InlineData("""[0, 8]""", "dtype")]
    public void Malformed_header_entry_is_reported_with_its_tensor(string entry, string named)
    {
        using var folder = Checkpoint(LLaDA);
        WriteRaw(folder.Weights, $$"""{"weird": {{entry}}}""", new byte[8]);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "corrupt", "'weird'", named);
    }

    [Fact]
    public void Data_offsets_past_the_end_of_the_file_are_reported_even_when_huge()
    {
        // A past-the-end check that adds the offset to the data start overflows here and would read outside the map.
        using var folder = Checkpoint(LLaDA);
        WriteRaw(folder.Weights, """{"far": {"dtype": "U8", "shape": [8], "data_offsets": [""" + $"{long.MaxValue - 8}, {long.MaxValue}" + "]}}", new byte[8]);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "truncated", "'far'");
    }

    [Fact]
    public void Shape_whose_size_overflows_is_reported_as_corrupt()
    {
        // 2^32 · 2^32 elements wraps to 0 bytes in 64-bit arithmetic; it must not pass as an empty tensor.
        using var folder = Checkpoint(LLaDA);
        WriteRaw(folder.Weights, """{"huge": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}""", []);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "corrupt", "'huge'");
    }

    [Fact]
    public void Unsupported_dtype_is_reported_with_the_tensor_and_dtype()
    {
        // F8_E4M3 is one byte per element: [256] spans exactly the 256 bytes the F32 [64] tensor had.
        using var folder = Checkpoint(LLaDA);
        RewriteHeader(folder.Weights, h =>
        {
            h["model.transformer.ln_f.weight"]!["dtype"] = "F8_E4M3";
            h["model.transformer.ln_f.weight"]!["shape"] = new JsonArray(256);
        });
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "model.transformer.ln_f.weight", "unsupported dtype 'F8_E4M3'", "BF16");
    }

    [Fact]
    public void Unsupported_dtype_in_a_hand_written_file_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        WriteRaw(folder.Weights, """{"x": {"dtype": "F8_E5M2", "shape": [4], "data_offsets": [0, 4]}}""", new byte[4]);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Weights, "'x'", "unsupported dtype 'F8_E5M2'");
    }

    // ---- sharded checkpoints -----------------------------------------------------------------------------------

    [Fact]
    public void Index_naming_a_shard_that_does_not_exist_is_reported()
    {
        using var folder = Sharded(LLaDA);
        string shard = folder.Shards()[1];
        File.Delete(Path.Combine(folder.Path, shard));
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Index, $"'{shard}'", "does not exist");
    }

    [Fact]
    public void Index_listing_a_key_its_shard_lacks_is_reported_on_the_shard()
    {
        const string bogus = "model.transformer.blocks.0.bogus.weight";
        using var folder = Sharded(LLaDA);
        string shard = folder.Shards()[0];
        folder.EditIndex(map => map[bogus] = shard);
        var e = LoadFails(folder.Path);
        AssertReports(e, Path.Combine(folder.Path, shard), "the index says", bogus);
    }

    [Fact]
    public void Shard_holding_a_key_the_index_lacks_is_reported_on_the_shard()
    {
        using var folder = Sharded(LLaDA);
        // A key from a shard that keeps other keys in the index, so the shard is still opened.
        var (key, shard) = folder.WeightMap().GroupBy(p => p.Value).First(g => g.Count() > 1).Select(p => (p.Key, p.Value)).First();
        folder.EditIndex(map => map.Remove(key));
        var e = LoadFails(folder.Path);
        AssertReports(e, Path.Combine(folder.Path, shard), key, "does not list", CheckpointFolder.IndexFileName);
    }

    [Fact]
    public void Index_that_is_not_json_is_reported()
    {
        using var folder = Sharded(LLaDA);
        File.WriteAllText(folder.Index, "weight_map = {}");
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Index, "not valid JSON");
    }

    [Fact]
    public void Index_without_a_weight_map_is_reported()
    {
        using var folder = Sharded(LLaDA);
        File.WriteAllText(folder.Index, """{"metadata": {"total_size": 1}}""");
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Index, "'weight_map'");
    }

    [Fact]
    public void Index_with_a_shard_name_that_is_not_a_string_is_reported()
    {
        using var folder = Sharded(LLaDA);
        folder.EditIndex(map => map[SomeKey] = 3);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Index, SomeKey, "not a shard file name");
    }

    // ---- folders -----------------------------------------------------------------------------------------------

    [Fact]
    public void Empty_folder_is_reported_as_having_no_config()
    {
        using var folder = new TempCheckpoint();
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Config, "config.json not found");
    }

    [Fact]
    public void Folder_with_config_but_no_weights_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        File.Delete(folder.Weights);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Path, "no weights", CheckpointFolder.SingleFileName, CheckpointFolder.IndexFileName);
    }

    [Fact]
    public void Missing_named_weights_file_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        var e = Assert.Throws<CheckpointException>(() =>
        {
            using var model = ModelLoader.Load(folder.Path, new ModelLoadOptions { WeightsFileName = "model.bf16.safetensors" });
        });
        AssertReports(e, folder.Path, "no weights", "model.bf16.safetensors");
    }

    [Fact]
    public void Single_weights_file_of_any_name_is_loaded_and_named_in_the_log()
    {
        using var folder = Checkpoint(LLaDA);
        File.Move(folder.Weights, Path.Combine(folder.Path, "model.bf16.safetensors"));
        var logger = new RecordingLogger();

        using var model = ModelLoader.Load(folder.Path, logger: logger);
        using var reference = ModelLoader.Load(Fixtures.Path(LLaDA));

        var loaded = ((nn.Module)model).named_parameters().ToList();
        var expected = ((nn.Module)reference).named_parameters().ToList();
        Assert.Equal(expected.Select(p => p.name), loaded.Select(p => p.name));
        foreach (var ((_, a), (_, b)) in loaded.Zip(expected)) Assert.True(a.eq(b).all().item<bool>());
        Assert.Contains(logger.Entries, e => e.Message.Contains("model.bf16.safetensors"));
    }

    [Fact]
    public void Model_safetensors_is_chosen_over_other_weights_files_and_the_choice_is_logged()
    {
        var logger = new RecordingLogger();
        using var checkpoint = CheckpointFolder.Open(Fixtures.Path(LLaDA), logger: logger); // model.safetensors + model.bf16.safetensors

        Assert.Equal([CheckpointFolder.SingleFileName], checkpoint.WeightsFiles.Select(Path.GetFileName));
        var entry = Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Information);
        Assert.Contains(CheckpointFolder.SingleFileName, entry.Message);
        Assert.Contains("model.bf16.safetensors", entry.Message);
        Assert.Contains("unused", entry.Message);
    }

    [Fact]
    public void Several_unnamed_weights_files_without_an_index_are_refused_with_their_names()
    {
        using var folder = Sharded(LLaDA);
        var shards = folder.Shards();
        File.Delete(folder.Index);
        var e = LoadFails(folder.Path);
        AssertReports(e, folder.Path, [.. shards.Take(2), "several weights files", "WeightsFileName", CheckpointFolder.IndexFileName]);
    }

    [Fact]
    public void Nonexistent_folder_is_reported_as_not_found()
    {
        string missing = Path.Combine(Path.GetTempPath(), "mercury-no-such-checkpoint-" + Guid.NewGuid().ToString("N"));
        var e = LoadFails(missing);
        AssertReports(e, missing, "checkpoint folder not found");
    }

    [Fact]
    public void Weights_file_given_instead_of_its_folder_is_reported()
    {
        using var folder = Checkpoint(LLaDA);
        var e = LoadFails(folder.Weights);
        AssertReports(e, folder.Weights, "not a checkpoint folder");
    }

    // ---- dtype conversion on load ------------------------------------------------------------------------------

    [Fact]
    public void Float32_checkpoint_loads_as_BFloat16_close_to_the_golden_logits()
    {
        using var model = ModelLoader.Load(Fixtures.Path(LLaDA), new ModelLoadOptions { DType = ScalarType.BFloat16 });
        Assert.Equal(ScalarType.BFloat16, model.DType);
        Assert.Equal(DeviceType.CPU, model.Device.type);
        Assert.All(((nn.Module)model).parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));

        var (ids, expected) = ForwardParityTests.Golden(LLaDA, "logits");
        using var logits = model.Forward(ids);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        Assert.Equal(expected.shape, logits.shape);
        double diff = (logits - expected).abs().max().item<float>();
        Assert.True(diff < 0.1, $"max |diff| {diff:E2} >= 0.1");
        Assert.True(diff > 0, "bf16 weights cannot reproduce the f32 logits bit for bit; was the dtype ignored?");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static CheckpointException LoadFails(string folder) =>
        Assert.Throws<CheckpointException>(() =>
        {
            using var model = ModelLoader.Load(folder);
        });

    /// <summary>The exception names <paramref name="file"/> (property and message) and says each of <paramref name="words"/>.</summary>
    private static void AssertReports(CheckpointException e, string file, params string[] words)
    {
        Assert.Equal(file, e.FilePath);
        Assert.StartsWith(file + ": ", e.Message);
        foreach (string word in words) Assert.Contains(word, e.Problem, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A private copy of a fixture's config and model.safetensors, with the tensors optionally edited.</summary>
    private static TempCheckpoint Checkpoint(string fixture, Func<IEnumerable<KeyValuePair<string, Tensor>>, IEnumerable<KeyValuePair<string, Tensor>>>? edit = null)
    {
        var folder = new TempCheckpoint();
        try
        {
            File.WriteAllBytes(folder.Config, File.ReadAllBytes(Fixtures.Path(fixture, CheckpointFolder.ConfigFileName)));
            if (edit is null)
            {
                File.WriteAllBytes(folder.Weights, File.ReadAllBytes(Fixtures.Path(fixture, CheckpointFolder.SingleFileName)));
                return folder;
            }
            using var scope = NewDisposeScope();
            using var source = CheckpointFolder.Open(Fixtures.Path(fixture));
            var tensors = source.Keys.Order(StringComparer.Ordinal).Select(k => new KeyValuePair<string, Tensor>(k, source.Read(k)));
            SafeTensorsWriter.Write(folder.Weights, edit(tensors).ToList());
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>A private sharded copy of a fixture (several <c>model-0000N-of-0000M.safetensors</c> and the index).</summary>
    private static TempCheckpoint Sharded(string fixture)
    {
        var folder = new TempCheckpoint();
        try
        {
            File.WriteAllBytes(folder.Config, File.ReadAllBytes(Fixtures.Path(fixture, CheckpointFolder.ConfigFileName)));
            using var scope = NewDisposeScope();
            using var source = CheckpointFolder.Open(Fixtures.Path(fixture));
            var tensors = source.Keys.Order(StringComparer.Ordinal).Select(k => new KeyValuePair<string, Tensor>(k, source.Read(k))).ToList();
            var files = SafeTensorsWriter.WriteSharded(folder.Path, tensors, maxShardBytes: 200_000);
            Assert.True(files.Count > 2, "the test needs several shards");
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    /// <summary>Writes a safetensors file by hand: length field, the header text as given, then the data bytes.</summary>
    private static void WriteRaw(string path, string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((long)json.Length));
        stream.Write(json);
        stream.Write(data);
    }

    /// <summary>Parses the header, lets <paramref name="edit"/> change it, and writes it back before the unchanged data.</summary>
    private static void RewriteHeader(string path, Action<JsonObject> edit)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        var header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))!.AsObject();
        edit(header);
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((long)padded));
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        stream.Write(bytes.AsSpan(8 + (int)headerLength));
    }

    /// <summary>A temp checkpoint folder, deleted on dispose.</summary>
    private sealed class TempCheckpoint : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mercury-bad-checkpoint-").FullName;

        public string Config => System.IO.Path.Combine(Path, CheckpointFolder.ConfigFileName);

        public string Weights => System.IO.Path.Combine(Path, CheckpointFolder.SingleFileName);

        public string Index => System.IO.Path.Combine(Path, CheckpointFolder.IndexFileName);

        public void EditConfig(Action<JsonObject> edit)
        {
            var json = JsonNode.Parse(File.ReadAllText(Config))!.AsObject();
            edit(json);
            File.WriteAllText(Config, json.ToJsonString());
        }

        public Dictionary<string, string> WeightMap() =>
            JsonNode.Parse(File.ReadAllText(Index))!["weight_map"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());

        /// <summary>Shard file names in order.</summary>
        public List<string> Shards() => WeightMap().Values.Distinct().Order(StringComparer.Ordinal).ToList();

        public void EditIndex(Action<JsonObject> editWeightMap)
        {
            var json = JsonNode.Parse(File.ReadAllText(Index))!.AsObject();
            editWeightMap(json["weight_map"]!.AsObject());
            File.WriteAllText(Index, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }
}
