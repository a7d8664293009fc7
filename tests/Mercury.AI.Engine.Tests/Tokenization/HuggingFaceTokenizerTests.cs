using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Engine.Tokenization;

namespace Mercury.AI.Engine.Tests.Tokenization;

/// <summary>The fixture bpe-qwen2-style: a tokenizer.json and the ids HF tokenizers 0.23 gave for its samples.</summary>
internal static class QwenStyleFixture
{
    private static readonly Lazy<HuggingFaceTokenizer> s_tokenizer = new(() => HuggingFaceTokenizer.FromFile(JsonPath));
    private static readonly Lazy<JsonElement> s_golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("bpe-qwen2-style", "golden_encodings.json"))).RootElement.Clone());

    public static string JsonPath => Fixtures.Path("bpe-qwen2-style", "tokenizer.json");

    public static HuggingFaceTokenizer Tokenizer => s_tokenizer.Value;

    public static JsonElement Golden => s_golden.Value;

    public static IEnumerable<(string Text, int[] Ids, string[] Tokens, string Decoded)> Cases =>
        Golden.GetProperty("cases").EnumerateArray().Select(c => (
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
            c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray(),
            c.GetProperty("decoded").GetString()!));
}

public class HuggingFaceTokenizerTests
{
    public static TheoryData<int> CaseIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < QwenStyleFixture.Cases.Count(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Golden_case_encodes_to_hf_ids_and_decodes_back(int index)
    {
        var (text, ids, tokens, decoded) = QwenStyleFixture.Cases.ElementAt(index);
        var tokenizer = QwenStyleFixture.Tokenizer;

        IReadOnlyList<int> actual = tokenizer.Encode(text);

        Assert.Equal(ids, actual);
        Assert.Equal(tokens, actual.Select(id => tokenizer.IdToToken(id)!));
        Assert.Equal(decoded, tokenizer.Decode(actual));
        Assert.Equal(ids, tokenizer.Inner.EncodeToIds(text)); // the library object alone gives the same ids
    }

    [Fact]
    public void Encoding_on_many_threads_gives_the_ids_of_one_thread()
    {
        // The trainer tokenizes its corpus in parallel with one tokenizer, whose BPE word cache is shared.
        var texts = QwenStyleFixture.Cases.SelectMany(c => Enumerable.Range(0, 200).Select(i => $"{c.Text} word{i % 37} {i}")).ToList();
        var sequential = HuggingFaceTokenizer.FromFile(QwenStyleFixture.JsonPath);
        var expected = texts.Select(t => sequential.Encode(t).ToArray()).ToList();

        var shared = HuggingFaceTokenizer.FromFile(QwenStyleFixture.JsonPath);
        var actual = texts.AsParallel().AsOrdered().WithDegreeOfParallelism(8).Select(t => shared.Encode(t).ToArray()).ToList();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Vocabulary_and_special_tokens_match_the_fixture()
    {
        var tokenizer = QwenStyleFixture.Tokenizer;

        Assert.Equal(QwenStyleFixture.Golden.GetProperty("vocab_size").GetInt32(), tokenizer.VocabSize);
        Assert.Equal(new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>" }, tokenizer.SpecialTokens.OrderBy(p => p.Value).Select(p => p.Key));
        Assert.Equal(3, tokenizer.TokenToId("<|mask|>"));
        Assert.Equal(298, tokenizer.TokenToId("Ġthe"));
        Assert.Equal("Ġthe", tokenizer.IdToToken(298));
        Assert.Null(tokenizer.TokenToId("no such token"));
        Assert.Null(tokenizer.IdToToken(1_000_000));
    }

    [Fact]
    public void Decode_can_skip_special_tokens()
    {
        var tokenizer = QwenStyleFixture.Tokenizer;
        var ids = tokenizer.Encode("<|im_start|>user\nhi<|im_end|><|mask|><|mask|>");

        Assert.Equal("<|im_start|>user\nhi<|im_end|><|mask|><|mask|>", tokenizer.Decode(ids));
        Assert.Equal("user\nhi", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Special_tokens_are_matched_longest_first_and_inside_words()
    {
        var tokenizer = QwenStyleFixture.Tokenizer;
        string json = WithAddedToken(File.ReadAllText(QwenStyleFixture.JsonPath), id: 1024, "<|im", special: false);
        var withPrefixToken = HuggingFaceTokenizer.FromJson(json);

        Assert.Equal(new[] { 1, 2 }, withPrefixToken.Encode("<|im_start|><|im_end|>"));
        Assert.Equal(new[] { 1024 }, withPrefixToken.Encode("<|im"));
        Assert.Equal("x<|im", withPrefixToken.Decode(withPrefixToken.Encode("x<|im"), skipSpecialTokens: true));
        Assert.Contains(3, tokenizer.Encode("abc<|mask|>def"));
    }

    [Fact]
    public void Surrogate_pairs_pre_tokenize_as_one_code_point_like_hf()
    {
        // Oniguruma sees code points: "🚀abc" matches [^\r\n\p{L}\p{N}]?\p{L}+ as a whole, and "𝐀𝐁" (math letters
        // outside the BMP) joins the space before it. A UTF-16 regex would cut both differently.
        var pre = QwenStyleFixture.Tokenizer.Inner.PreTokenizer!;

        Assert.Equal(new[] { (0, 5) }, pre.PreTokenize("🚀abc"));
        Assert.Equal(new[] { (0, 5) }, pre.PreTokenize(" 𝐀𝐁"));
        Assert.Equal(new[] { (0, 2), (2, 5) }, pre.PreTokenize("🚀 🔥🔥"));
    }

    [Fact]
    public void Merges_written_as_strings_give_the_same_ids()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(QwenStyleFixture.JsonPath))!;
        JsonArray pairs = root["model"]!["merges"]!.AsArray();
        var strings = new JsonArray(pairs.Select(p => (JsonNode?)JsonValue.Create($"{p![0]} {p[1]}")).ToArray());
        root["model"]!["merges"] = strings;

        var fromStrings = HuggingFaceTokenizer.FromJson(root.ToJsonString(), "merges-as-strings");

        foreach (var (text, ids, _, _) in QwenStyleFixture.Cases)
        {
            Assert.Equal(ids, fromStrings.Encode(text));
        }
    }

    [Fact]
    public void Plain_byte_level_pre_tokenizer_uses_the_gpt2_split()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(QwenStyleFixture.JsonPath))!;
        root["pre_tokenizer"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""");
        var gpt2 = HuggingFaceTokenizer.FromJson(root.ToJsonString());

        // GPT-2 keeps digit runs and the space before a word together, and its contractions are lower-case only.
        Assert.Equal(new[] { (0, 5), (5, 6), (11, 2), (13, 5) }, gpt2.Inner.PreTokenizer!.PreTokenize("Hello world's 1234"));
        Assert.Equal("Hello world's 1234 <|mask|>", gpt2.Decode(gpt2.Encode("Hello world's 1234 <|mask|>")));
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid(), "tokenizer.json");

        var ex = Assert.Throws<FileNotFoundException>(() => HuggingFaceTokenizer.FromFile(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Malformed_json_names_the_source()
    {
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromJson("{\"model\": {", "broken.json"));
        Assert.Contains("broken.json", ex.Message);
        Assert.Contains("not valid JSON", ex.Message);

        var missingVocab = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromJson("""{"model": {"type": "BPE"}}""", "novocab.json"));
        Assert.Contains("model.vocab", missingVocab.Message);
    }

    [Theory]
    [InlineData("model", "type", "\"WordPiece\"", "WordPiece")]
    [InlineData("model", "type", "\"Unigram\"", "Unigram")]
    [InlineData(null, "normalizer", """{"type": "Lowercase"}""", "normalizer 'Lowercase'")]
    [InlineData(null, "pre_tokenizer", """{"type": "Whitespace"}""", "Whitespace")]
    [InlineData(null, "decoder", """{"type": "WordPiece"}""", "decoder 'WordPiece'")]
    public void Unsupported_features_throw_naming_file_and_feature(string? parent, string key, string valueJson, string expected)
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(QwenStyleFixture.JsonPath))!;
        JsonNode target = parent is null ? root : root[parent]!;
        target[key] = JsonNode.Parse(valueJson);

        var ex = Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizer.FromJson(root.ToJsonString(), "my/tokenizer.json"));
        Assert.Contains("my/tokenizer.json", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Nfc_normalizer_composes_text_before_encoding()
    {
        // Qwen2 / Dream tokenizer.json files declare an NFC normalizer: "e" + combining acute encodes as "é".
        JsonNode root = JsonNode.Parse(File.ReadAllText(QwenStyleFixture.JsonPath))!;
        root["normalizer"] = JsonNode.Parse("""{"type": "NFC"}""");
        var nfc = HuggingFaceTokenizer.FromJson(root.ToJsonString(), "nfc.json");
        Assert.Equal(QwenStyleFixture.Tokenizer.Encode("caf\u00e9"), nfc.Encode("cafe\u0301"));
    }

    [Fact]
    public void Merge_of_unknown_tokens_is_reported_as_malformed()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(QwenStyleFixture.JsonPath))!;
        root["model"]!["merges"]!.AsArray().Add(new JsonArray("zzz", "qqq"));

        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromJson(root.ToJsonString(), "badmerge.json"));
        Assert.Contains("badmerge.json", ex.Message);
    }

    private static string WithAddedToken(string json, int id, string content, bool special)
    {
        JsonNode root = JsonNode.Parse(json)!;
        root["added_tokens"]!.AsArray().Add(new JsonObject
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
            ["rstrip"] = false, ["normalized"] = false, ["special"] = special,
        });
        return root.ToJsonString();
    }
}

public class IncrementalDecoderTokenizationTests
{
    private const string Multilingual = "東京で🚀🔥を見た — café naïve 你好世界 👨‍👩‍👧 ok<|im_end|>";

    [Fact]
    public void One_id_at_a_time_never_yields_half_a_character()
    {
        var tokenizer = QwenStyleFixture.Tokenizer;
        var ids = tokenizer.Encode(Multilingual);
        var decoder = new IncrementalDecoder(tokenizer);
        var pieces = new List<string>();
        int heldBack = 0;

        foreach (int id in ids)
        {
            string piece = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', piece);
            Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "ends inside a surrogate pair");
            Assert.False(piece.Length > 0 && char.IsLowSurrogate(piece[0]), "starts inside a surrogate pair");
            heldBack += piece.Length == 0 ? 1 : 0;
            pieces.Add(piece);
        }

        pieces.Add(decoder.Flush());
        Assert.True(heldBack > 0, "the sample should split some characters across tokens");
        Assert.Equal(tokenizer.Decode(ids), string.Concat(pieces));
        Assert.Equal(Multilingual, string.Concat(pieces));
    }

    [Fact]
    public void Concatenation_equals_full_decode_even_for_invalid_utf8()
    {
        // Ids of single-byte tokens, in random order: plenty of broken and unfinished UTF-8 sequences.
        var tokenizer = QwenStyleFixture.Tokenizer;
        int[] byteIds = Enumerable.Range(0, 256).Select(b => tokenizer.TokenToId(ByteLevelChar(b).ToString())!.Value).ToArray();
        var random = new Random(1234);

        for (int round = 0; round < 200; round++)
        {
            int[] ids = Enumerable.Range(0, random.Next(1, 24)).Select(_ => byteIds[random.Next(byteIds.Length)]).ToArray();
            ids = [.. ids, .. tokenizer.Encode("€😀")];
            var decoder = new IncrementalDecoder(tokenizer);
            string streamed = string.Concat(ids.Select(id => decoder.Append(id))) + decoder.Flush();

            Assert.Equal(tokenizer.Decode(ids), streamed);
        }
    }

    [Fact]
    public void Flush_emits_an_unfinished_character_as_replacement()
    {
        var tokenizer = QwenStyleFixture.Tokenizer;
        var ids = tokenizer.Encode("🚀");
        var decoder = new IncrementalDecoder(tokenizer);

        Assert.Equal("", decoder.Append(ids.Take(ids.Count - 1)));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Skipping_special_tokens_while_streaming()
    {
        var tokenizer = QwenStyleFixture.Tokenizer;
        var decoder = new IncrementalDecoder(tokenizer, skipSpecialTokens: true);

        string text = decoder.Append(tokenizer.Encode("<|im_start|>hi 🚀<|im_end|>")) + decoder.Flush();

        Assert.Equal("hi 🚀", text);
    }

    // GPT-2's byte-to-character table: printable bytes stand for themselves, the rest take U+0100 onwards in order.
    private static char ByteLevelChar(int b)
    {
        static bool Printable(int x) => x is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        return Printable(b) ? (char)b : (char)(256 + Enumerable.Range(0, b).Count(x => !Printable(x)));
    }
}

/// <summary>HF's <c>ignore_merges</c> (Llama-3's tokenizer.json): a pre-token that is itself in the vocabulary is one token.</summary>
public class IgnoreMergesTests
{
    // "abc" and "Ġabc" are vocabulary entries the merges cannot build: merging b+c first leaves a|bc, and a+bc is no merge.
    private static string Json(bool ignoreMerges) => $$"""
        {
          "model": {
            "type": "BPE", "ignore_merges": {{(ignoreMerges ? "true" : "false")}},
            "vocab": { "a": 0, "b": 1, "c": 2, "bc": 3, "ab": 4, "abc": 5, "Ġ": 6, "Ġabc": 7 },
            "merges": [ ["b", "c"], ["a", "b"] ]
          },
          "added_tokens": [ { "id": 8, "content": "<|end|>", "special": true } ],
          "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "use_regex": true },
          "decoder": { "type": "ByteLevel" }
        }
        """;

    [Theory]
    [InlineData("abc", new[] { 0, 3 }, new[] { 5 })]
    [InlineData(" abc", new[] { 6, 0, 3 }, new[] { 7 })]
    [InlineData("ab", new[] { 4 }, new[] { 4 })]                        // merges reach it anyway
    [InlineData("cab", new[] { 2, 4 }, new[] { 2, 4 })]                 // not a vocabulary entry: merged as usual
    [InlineData("abc<|end|>abc", new[] { 0, 3, 8, 0, 3 }, new[] { 5, 8, 5 })]
    public void Pre_token_in_the_vocabulary_is_emitted_whole(string text, int[] withMerges, int[] ignoringMerges)
    {
        var merged = HuggingFaceTokenizer.FromJson(Json(ignoreMerges: false));
        var whole = HuggingFaceTokenizer.FromJson(Json(ignoreMerges: true), "llama3-style");

        Assert.Equal(withMerges, merged.Encode(text));
        Assert.Equal(ignoringMerges, whole.Encode(text));
        Assert.Equal(ignoringMerges, whole.Inner.EncodeToIds(text));
        Assert.Equal(text, whole.Decode(whole.Encode(text)));
    }

    [Fact]
    public void Fixture_with_ignore_merges_encodes_each_vocabulary_pre_token_as_one_id_and_the_rest_as_before()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(QwenStyleFixture.JsonPath))!;
        root["model"]!["ignore_merges"] = true;
        var whole = HuggingFaceTokenizer.FromJson(root.ToJsonString(), "qwen2-style+ignore_merges");
        var merged = QwenStyleFixture.Tokenizer;
        var pre = merged.Inner.PreTokenizer!;

        foreach (var (text, _, _, _) in QwenStyleFixture.Cases)
        {
            var expected = new List<int>();
            foreach (var (offset, length) in pre.PreTokenize(text))
            {
                string piece = text.Substring(offset, length);
                // HF looks the pre-token's byte-level form up in the vocabulary before merging.
                if (merged.TokenToId(ByteLevel(piece)) is int id) expected.Add(id);
                else expected.AddRange(merged.Inner.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
            }

            Assert.Equal(expected, whole.Encode(text));
            Assert.Equal(merged.Decode(merged.Encode(text)), whole.Decode(whole.Encode(text)));
        }
    }

    /// <summary>GPT-2's byte-to-character table applied to the UTF-8 of <paramref name="text"/>.</summary>
    private static string ByteLevel(string text)
    {
        var table = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
            table[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)(256 + n++);
        return new string(System.Text.Encoding.UTF8.GetBytes(text).Select(b => table[b]).ToArray());
    }
}
