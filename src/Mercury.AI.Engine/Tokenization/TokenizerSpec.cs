using System.Text.RegularExpressions;

namespace Mercury.AI.Engine.Tokenization;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

/// <summary>What the loader takes from a tokenizer.json, checked and ready for Microsoft.ML.Tokenizers.</summary>
internal sealed class TokenizerSpec
{
    public required Dictionary<string, int> Vocab { get; init; }

    /// <summary>Merges in rank order, as "left right" (the only form BpeOptions accepts).</summary>
    public required List<string> Merges { get; init; }

    public required List<AddedToken> AddedTokens { get; init; }

    /// <summary>The Split regexes, in order, that pre-tokenization applies.</summary>
    public required List<Regex> SplitStages { get; init; }

    /// <summary>Unicode normalisation applied to the text before pre-tokenization (tokenizer.json's normalizer).</summary>
    public System.Text.NormalizationForm? Normalization { get; init; }

    public string? UnknownToken { get; init; }

    public string? ContinuingSubwordPrefix { get; init; }

    public string? EndOfWordSuffix { get; init; }

    public bool FuseUnknownTokens { get; init; }

    /// <summary>HF's <c>ignore_merges</c> (Llama-3): a pre-token that is itself a vocabulary entry is emitted whole.</summary>
    public bool IgnoreMerges { get; init; }
}
