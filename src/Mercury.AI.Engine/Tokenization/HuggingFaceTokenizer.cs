using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Mercury.AI.Engine.Tokenization;

/// <summary>
/// A HuggingFace <c>tokenizer.json</c> (byte-level BPE, as used by GPT-2, Qwen2, Dream, LLaDA...) loaded onto
/// Microsoft.ML.Tokenizers, which has no loader for that format. The library's <see cref="BpeTokenizer"/> does the
/// byte-level mapping and the merges; this class supplies HF's pre-tokenization and added-token handling (see
/// <see cref="HuggingFacePreTokenizer"/>) and HF's decoding rules.
/// </summary>
public sealed class HuggingFaceTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _vocabById;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly System.Text.NormalizationForm? _normalization;

    private HuggingFaceTokenizer(TokenizerSpec spec, string source)
    {
        SourceName = source;
        _vocab = spec.Vocab;
        _normalization = spec.Normalization;
        _vocabById = new Dictionary<int, string>(_vocab.Count);
        foreach ((string token, int id) in _vocab)
        {
            _vocabById.TryAdd(id, token);
        }

        _addedById = new Dictionary<int, AddedToken>();
        _addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (AddedToken token in spec.AddedTokens)
        {
            _addedById[token.Id] = token;
            _addedByContent[token.Content] = token.Id;
        }

        SpecialTokens = spec.AddedTokens.Where(t => t.Special).ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);
        // Like HF's get_vocab_size(with_added_tokens=True): distinct token strings of the model and the added tokens.
        VocabSize = _vocab.Keys.Union(_addedByContent.Keys, StringComparer.Ordinal).Count();

        var options = new BpeOptions(_vocab)
        {
            Merges = spec.Merges,
            // The library's "special tokens" are simply tokens it maps whole when a pre-token range equals one, which
            // is what every HF added token needs, special or not, and what ignore_merges asks of every vocabulary entry.
            SpecialTokens = WholeTokens(spec, _addedByContent),
            PreTokenizer = new HuggingFacePreTokenizer(spec.SplitStages, spec.AddedTokens),
            Normalizer = null,
            ByteLevel = true,
            UnknownToken = spec.UnknownToken,
            ContinuingSubwordPrefix = spec.ContinuingSubwordPrefix,
            EndOfWordSuffix = spec.EndOfWordSuffix,
            FuseUnknownTokens = spec.FuseUnknownTokens,
        };

        try
        {
            _bpe = BpeTokenizer.Create(options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // e.g. a merge naming a token that is not in the vocabulary.
            throw new InvalidDataException($"Tokenizer file '{source}' is malformed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Pre-tokens the BPE model maps to one id without merging, keyed by their text: the added tokens, and with
    /// <c>ignore_merges</c> every vocabulary entry as well (HF's <c>Bpe::tokenize</c> looks the byte-level pre-token up in
    /// the vocabulary before merging, huggingface/tokenizers#1493). An entry whose bytes are not whole UTF-8 characters
    /// can never equal a pre-token, which is a slice of the text, so it is left out. Added tokens win a tie.
    /// </summary>
    private static Dictionary<string, int> WholeTokens(TokenizerSpec spec, Dictionary<string, int> added)
    {
        var whole = new Dictionary<string, int>(StringComparer.Ordinal);
        if (spec.IgnoreMerges)
        {
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            var bytes = new List<byte>();
            foreach ((string token, int id) in spec.Vocab)
            {
                bytes.Clear();
                if (!ByteLevelAlphabet.TryAppendTokenBytes(token, bytes)) continue;
                try
                {
                    whole[strict.GetString(CollectionsMarshal.AsSpan(bytes))] = id;
                }
                catch (DecoderFallbackException)
                {
                    // part of a multi-byte character
                }
            }
        }

        foreach ((string content, int id) in added) whole[content] = id;
        return whole;
    }

    /// <summary>The file (or the name given to <see cref="FromJson"/>) this tokenizer was loaded from.</summary>
    public string SourceName { get; }

    /// <summary>Number of distinct tokens, added tokens included (HF's <c>len(tokenizer)</c>).</summary>
    public int VocabSize { get; }

    /// <summary>The added tokens marked <c>special</c>, by content.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>
    /// The Microsoft.ML.Tokenizers object doing the work. Its <c>EncodeToIds</c> gives the same ids as
    /// <see cref="Encode"/>; decode through this class, which follows HF's rules for added tokens.
    /// </summary>
    public Tokenizer Inner => _bpe;

    /// <summary>Loads a tokenizer.json file, or the tokenizer.json inside a checkpoint folder.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON or not a well-formed tokenizer.json.</exception>
    /// <exception cref="NotSupportedException">The file uses a feature this loader does not implement.</exception>
    public static HuggingFaceTokenizer FromFile(string tokenizerJsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        string path = Path.GetFullPath(tokenizerJsonPath);
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "tokenizer.json");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer file '{path}' does not exist.", path);
        }

        string json;
        try
        {
            json = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Tokenizer file '{path}' could not be read: {ex.Message}", ex);
        }

        return FromJson(json, path);
    }

    /// <summary>Loads a tokenizer from tokenizer.json text; <paramref name="sourceName"/> names it in errors.</summary>
    public static HuggingFaceTokenizer FromJson(string json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        string source = sourceName ?? "tokenizer.json (in memory)";
        return new HuggingFaceTokenizer(TokenizerJson.Parse(json, source), source);
    }

    /// <summary>Encodes text to ids exactly as HF's <c>tokenizer.encode(text, add_special_tokens=False)</c>.</summary>
    /// <remarks>Added tokens written in the text (e.g. <c>&lt;|im_start|&gt;</c>) become their ids; no BOS/EOS is added.</remarks>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_normalization is { } form && !text.IsNormalized(form)) text = text.Normalize(form);
        return _bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false);
    }

    /// <summary>Decodes ids to text; ids the tokenizer does not know are dropped, as HF does.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="skipSpecialTokens">Leave out added tokens marked special (non-special added tokens stay).</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            AppendBytes(id, skipSpecialTokens, bytes);
        }

        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The id of a vocabulary or added token, or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_addedByContent.TryGetValue(token, out int id) || _vocab.TryGetValue(token, out id))
        {
            return id;
        }

        return null;
    }

    /// <summary>The token string of an id (byte-level form, e.g. "Ġthe"), or null.</summary>
    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out AddedToken? added) ? added.Content
        : _vocabById.TryGetValue(id, out string? token) ? token
        : null;

    /// <summary>Appends the UTF-8 bytes one id stands for; shared by <see cref="Decode"/> and <see cref="IncrementalDecoder"/>.</summary>
    internal void AppendBytes(int id, bool skipSpecialTokens, List<byte> destination)
    {
        if (_addedById.TryGetValue(id, out AddedToken? added))
        {
            // Added tokens are rendered as their content, not passed through the byte-level table.
            if (!(skipSpecialTokens && added.Special))
            {
                ByteLevelAlphabet.AppendUtf8(added.Content, destination);
            }
        }
        else if (_vocabById.TryGetValue(id, out string? token))
        {
            ByteLevelAlphabet.AppendTokenBytes(token, destination);
        }
    }
}
