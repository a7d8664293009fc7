using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mercury.AI.Engine.Tokenization;

/// <summary>
/// Reads HuggingFace's tokenizer.json (the format written by the <c>tokenizers</c> library). Only byte-level BPE is
/// accepted; anything that would change the ids and is not implemented fails loudly instead of encoding differently.
/// </summary>
internal static class TokenizerJson
{
    /// <summary>GPT-2's split, which HF's ByteLevel pre-tokenizer applies itself when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static TokenizerSpec Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Tokenizer file '{source}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed(source, "the top level is not a JSON object");
            }

            JsonElement model = Object(root, "model", source);
            CheckModel(model, source);
            Dictionary<string, int> vocab = ReadVocab(Object(model, "vocab", source, "model."), source);
            List<string> merges = ReadMerges(model, source);
            List<AddedToken> addedTokens = ReadAddedTokens(root, source);
            System.Text.NormalizationForm? normalization = null;
            if (Present(root, "normalizer") is JsonElement normalizer)
            {
                // Qwen2 / Dream tokenizers use NFC; the other Unicode forms map as directly. Anything else is refused.
                normalization = TypeOf(normalizer) switch
                {
                    "NFC" => System.Text.NormalizationForm.FormC,
                    "NFD" => System.Text.NormalizationForm.FormD,
                    "NFKC" => System.Text.NormalizationForm.FormKC,
                    "NFKD" => System.Text.NormalizationForm.FormKD,
                    _ => throw Unsupported(source, $"normalizer '{TypeOf(normalizer)}' (null, NFC, NFD, NFKC and NFKD are supported)"),
                };
            }

            if (Present(root, "decoder") is not JsonElement decoder || TypeOf(decoder) != "ByteLevel")
            {
                string found = Present(root, "decoder") is JsonElement d ? TypeOf(d) : "null";
                throw Unsupported(source, $"decoder '{found}' (only ByteLevel is supported)");
            }

            // post_processor, truncation and padding are ignored: they only add BOS/EOS or shape batches, and
            // Encode deliberately returns the bare ids.
            return new TokenizerSpec
            {
                Vocab = vocab,
                Normalization = normalization,
                Merges = merges,
                AddedTokens = addedTokens,
                SplitStages = ReadPreTokenizer(Present(root, "pre_tokenizer"), source),
                UnknownToken = OptionalString(model, "unk_token", source),
                ContinuingSubwordPrefix = OptionalString(model, "continuing_subword_prefix", source),
                EndOfWordSuffix = OptionalString(model, "end_of_word_suffix", source),
                FuseUnknownTokens = Flag(model, "fuse_unk", source),
                IgnoreMerges = Flag(model, "ignore_merges", source),
            };
        }
    }

    private static void CheckModel(JsonElement model, string source)
    {
        // Old files omit model.type; HF then recognises BPE by its merges.
        string? type = OptionalString(model, "type", source);
        if (type is null && Present(model, "merges") is null)
        {
            throw Unsupported(source, "a model without \"type\" or \"merges\" (only BPE is supported)");
        }

        if (type is not null && type != "BPE")
        {
            throw Unsupported(source, $"model type '{type}' (only BPE is supported)");
        }

        if (Present(model, "dropout") is JsonElement dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
        {
            throw Unsupported(source, "BPE dropout");
        }

        if (Flag(model, "byte_fallback", source))
        {
            throw Unsupported(source, "BPE byte_fallback");
        }

    }

    private static Dictionary<string, int> ReadVocab(JsonElement vocab, string source)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw Malformed(source, $"model.vocab entry '{entry.Name}' is not a non-negative integer id");
            }

            result[entry.Name] = id;
        }

        if (result.Count == 0)
        {
            throw Malformed(source, "model.vocab is empty");
        }

        return result;
    }

    // HF writes merges either as "a b" strings (older files) or as ["a", "b"] pairs (tokenizers >= 0.20).
    private static List<string> ReadMerges(JsonElement model, string source)
    {
        var result = new List<string>();
        if (Present(model, "merges") is not JsonElement merges)
        {
            return result;
        }

        if (merges.ValueKind != JsonValueKind.Array)
        {
            throw Malformed(source, "model.merges is not an array");
        }

        int rank = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                int space = text.IndexOf(' ');
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                {
                    throw Malformed(source, $"model.merges[{rank}] \"{text}\" is not two tokens separated by one space");
                }

                result.Add(text);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                string left = merge[0].GetString()!, right = merge[1].GetString()!;
                if (left.Length == 0 || right.Length == 0)
                {
                    throw Malformed(source, $"model.merges[{rank}] has an empty token");
                }

                if (left.Contains(' ') || right.Contains(' '))
                {
                    // BpeOptions.Merges only takes "a b" strings, which cannot carry a token with a space in it.
                    throw Unsupported(source, $"a merge of tokens containing a space (model.merges[{rank}])");
                }

                result.Add(left + " " + right);
            }
            else
            {
                throw Malformed(source, $"model.merges[{rank}] is neither a \"a b\" string nor a pair of strings");
            }

            rank++;
        }

        return result;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string source)
    {
        var result = new List<AddedToken>();
        if (Present(root, "added_tokens") is not JsonElement tokens)
        {
            return result;
        }

        if (tokens.ValueKind != JsonValueKind.Array)
        {
            throw Malformed(source, "added_tokens is not an array");
        }

        int index = 0;
        foreach (JsonElement token in tokens.EnumerateArray())
        {
            string where = $"added_tokens[{index++}]";
            if (token.ValueKind != JsonValueKind.Object
                || Present(token, "id") is not JsonElement id || id.ValueKind != JsonValueKind.Number
                || !id.TryGetInt32(out int idValue) || idValue < 0
                || OptionalString(token, "content", source) is not string content || content.Length == 0)
            {
                throw Malformed(source, $"{where} needs a non-negative \"id\" and a non-empty \"content\"");
            }

            bool special = Flag(token, "special", source);
            bool normalized = Present(token, "normalized") is JsonElement n ? n.ValueKind == JsonValueKind.True : !special;
            result.Add(new AddedToken(idValue, content, special, Flag(token, "single_word", source),
                Flag(token, "lstrip", source), Flag(token, "rstrip", source), normalized));
        }

        return result;
    }

    // Accepted: ByteLevel alone, or a Sequence of Split(Isolated, invert=false) steps ending in ByteLevel.
    private static List<Regex> ReadPreTokenizer(JsonElement? preTokenizer, string source)
    {
        if (preTokenizer is not JsonElement element)
        {
            throw Unsupported(source, "no pre_tokenizer (only byte-level BPE with a ByteLevel pre-tokenizer is supported)");
        }

        List<JsonElement> steps = TypeOf(element) == "Sequence"
            ? [.. Object(element, "pretokenizers", source, "pre_tokenizer.", JsonValueKind.Array).EnumerateArray()]
            : [element];

        var stages = new List<Regex>();
        for (int i = 0; i < steps.Count; i++)
        {
            string type = TypeOf(steps[i]);
            bool last = i == steps.Count - 1;
            if (type == "Split" && !last)
            {
                stages.Add(ReadSplit(steps[i], source));
            }
            else if (type == "ByteLevel" && last)
            {
                if (Flag(steps[i], "add_prefix_space", source))
                {
                    throw Unsupported(source, "pre-tokenizer ByteLevel with add_prefix_space=true");
                }

                if (Present(steps[i], "use_regex") is not JsonElement useRegex || useRegex.ValueKind == JsonValueKind.True)
                {
                    stages.Add(Compile(Gpt2Pattern, source));
                }
            }
            else
            {
                throw Unsupported(source, $"pre-tokenizer '{type}' at this place (supported: ByteLevel, or a Sequence of Split steps ending in ByteLevel)");
            }
        }

        return stages;
    }

    private static Regex ReadSplit(JsonElement split, string source)
    {
        string behavior = OptionalString(split, "behavior", source) ?? "";
        if (behavior != "Isolated" || Flag(split, "invert", source))
        {
            throw Unsupported(source, $"pre-tokenizer Split with behavior '{behavior}' and invert={Flag(split, "invert", source)} (only Isolated without invert)");
        }

        JsonElement pattern = Object(split, "pattern", source, "Split.");
        if (OptionalString(pattern, "Regex", source) is string regex)
        {
            return Compile(regex, source);
        }

        if (OptionalString(pattern, "String", source) is string literal)
        {
            return Compile(Regex.Escape(literal), source);
        }

        throw Malformed(source, "a Split pattern has neither \"Regex\" nor \"String\"");
    }

    private static Regex Compile(string pattern, string source)
    {
        try
        {
            // Multiline: HF's Oniguruma (Ruby syntax) treats ^ and $ as line anchors. CultureInvariant keeps (?i) from
            // following the machine's culture.
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.Multiline);
        }
        catch (ArgumentException ex)
        {
            throw Unsupported(source, $"a pre-tokenizer regex that .NET cannot compile ({pattern}): {ex.Message}");
        }
    }

    private static JsonElement? Present(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static JsonElement Object(JsonElement obj, string name, string source, string prefix = "", JsonValueKind kind = JsonValueKind.Object)
    {
        if (Present(obj, name) is JsonElement value && value.ValueKind == kind)
        {
            return value;
        }

        throw Malformed(source, $"\"{prefix}{name}\" is missing or not a JSON {kind.ToString().ToLowerInvariant()}");
    }

    private static string? OptionalString(JsonElement obj, string name, string source) => Present(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw Malformed(source, $"\"{name}\" is not a string"),
    };

    private static bool Flag(JsonElement obj, string name, string source) => Present(obj, name) switch
    {
        null => false,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Malformed(source, $"\"{name}\" is not true or false"),
    };

    private static string TypeOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : "(no type)";

    internal static InvalidDataException Malformed(string source, string what) =>
        new($"Tokenizer file '{source}' is malformed: {what}.");

    private static NotSupportedException Unsupported(string source, string what) =>
        new($"Tokenizer file '{source}' uses {what}, which this loader does not support.");
}
