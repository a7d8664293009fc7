using System.Text;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Tokenization;

namespace Mercury.AI.Chat.Decoding;

/// <summary>
/// Turns one request's step snapshots into text deltas, on the decode thread. Only the stable prefix of the
/// canvas (before the first mask: tokens no later step can change) is decoded, through an
/// <see cref="IncrementalDecoder"/> so a character split over tokens is never cut. Text stops at an end token, and
/// is held back while it could be the start of a marker (a stop sequence, or <c>&lt;tool_call&gt;</c>), so nothing
/// is streamed that the final answer leaves out.
/// </summary>
internal sealed class StreamingText(HuggingFaceTokenizer tokenizer, IReadOnlySet<int> endTokenIds, IReadOnlyList<string> markers)
{
    private readonly IncrementalDecoder _decoder = new(tokenizer, skipSpecialTokens: true);
    private readonly StringBuilder _decoded = new();
    private readonly List<int> _tokenEnds = []; // text length after each consumed token
    private int _consumed, _emitted;
    private bool _stopped;

    /// <summary>Text streamed so far.</summary>
    public string Emitted => _decoded.ToString(0, _emitted);

    /// <summary>The new text this step makes final, or null.</summary>
    public string? OnStep(DiffusionStep step)
    {
        if (_stopped) return null;
        for (; _consumed < step.StableLength; _consumed++)
        {
            int token = step.Canvas[_consumed];
            if (endTokenIds.Contains(token)) { _stopped = true; break; }
            _decoded.Append(_decoder.Append(token));
            _tokenEnds.Add(_decoded.Length);
        }
        string all = _decoded.ToString();
        int cut = all.Length;
        foreach (string marker in markers)
        {
            int at = all.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) continue;
            // The engine's text ends exactly where the first stop sequence starts (even inside a token); so does the stream.
            cut = Math.Min(cut, at);
            _stopped = true;
        }
        if (!_stopped)
        {
            // Hold back text that may begin a marker, from the start of the token it is in.
            int held = HeldBack(all);
            if (held > 0) cut = _tokenEnds.LastOrDefault(end => end <= all.Length - held);
        }
        if (cut <= _emitted) return null;
        string delta = all[_emitted..cut];
        _emitted = cut;
        return delta;
    }

    /// <summary>Length of the longest end of <paramref name="text"/> that begins some marker.</summary>
    private int HeldBack(string text)
    {
        int held = 0;
        foreach (string marker in markers)
            for (int length = Math.Min(marker.Length - 1, text.Length); length > held; length--)
                if (text.AsSpan(text.Length - length).SequenceEqual(marker.AsSpan(0, length))) { held = length; break; }
        return held;
    }

    /// <summary>The canvas with masks drawn as <see cref="DiffusionSnapshot.MaskGlyph"/>.</summary>
    public static DiffusionSnapshot Snapshot(DiffusionStep step, HuggingFaceTokenizer tokenizer, int maskTokenId)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        int masked = 0;
        foreach (int token in step.Canvas)
        {
            if (token != maskTokenId) { run.Add(token); continue; }
            text.Append(tokenizer.Decode(run, skipSpecialTokens: true)).Append(DiffusionSnapshot.MaskGlyph);
            run.Clear();
            masked++;
        }
        text.Append(tokenizer.Decode(run, skipSpecialTokens: true));
        return new DiffusionSnapshot(step.Step, step.Block, text.ToString(), step.StableLength, masked);
    }
}
