using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Mercury.AI.Engine.Tokenization;

/// <summary>
/// HuggingFace's pre-tokenization expressed as a Microsoft.ML.Tokenizers <see cref="PreTokenizer"/>, so that the
/// library's <see cref="BpeTokenizer"/> runs the whole pipeline and does the merges. Added tokens are cut out first
/// (HF matches them on the raw text before pre-tokenizing); each one becomes a range holding exactly its content,
/// which the BPE model maps to its id through <c>SpecialTokens</c>. The text between them goes through the chain of
/// Split regexes (behavior Isolated), each stage splitting the pieces of the previous one.
/// </summary>
internal sealed class HuggingFacePreTokenizer : PreTokenizer
{
    // Per UnicodeCategory, a BMP character of that category, used in place of a surrogate pair (see SplitGap).
    private static readonly char[] s_standIns = BuildStandIns();

    private readonly Regex[] _stages;
    private readonly AddedTokenSet _rawTokens;
    private readonly AddedTokenSet _normalizedTokens;

    public HuggingFacePreTokenizer(IReadOnlyList<Regex> stages, IReadOnlyList<AddedToken> addedTokens)
    {
        _stages = [.. stages];
        // HF extracts the tokens with normalized=false from the raw text first, then the others from what is left.
        _rawTokens = new AddedTokenSet(addedTokens.Where(t => !t.Normalized));
        _normalizedTokens = new AddedTokenSet(addedTokens.Where(t => t.Normalized));
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var ranges = new List<(int Offset, int Length)>();
        if (text.IsEmpty)
        {
            return ranges;
        }

        var firstPass = new List<Segment>();
        _rawTokens.Cut(text, 0, text.Length, firstPass);
        foreach (Segment raw in firstPass)
        {
            if (raw.Token is not null)
            {
                ranges.Add((raw.Start, raw.Length));
                continue;
            }

            var secondPass = new List<Segment>();
            _normalizedTokens.Cut(text, raw.Start, raw.Start + raw.Length, secondPass);
            foreach (Segment segment in secondPass)
            {
                if (segment.Token is not null)
                {
                    ranges.Add((segment.Start, segment.Length));
                }
                else
                {
                    SplitGap(text, segment.Start, segment.Length, ranges);
                }
            }
        }

        return ranges;
    }

    private void SplitGap(ReadOnlySpan<char> text, int start, int length, List<(int Offset, int Length)> ranges)
    {
        ReadOnlySpan<char> gap = text.Slice(start, length);

        // .NET regexes match UTF-16 units while HF's (Oniguruma) match code points: half of a surrogate pair fails
        // \p{L} but matches [^\p{L}\p{N}], so "🚀abc" would split differently. Each pair therefore becomes one BMP
        // stand-in of the same Unicode category, and the offsets are mapped back afterwards.
        int[]? map = null;
        ReadOnlySpan<char> subject = gap;
        if (gap.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
        {
            (subject, map) = SubstituteSurrogatePairs(gap);
        }

        var pieces = new List<(int Offset, int Length)> { (0, subject.Length) };
        foreach (Regex stage in _stages)
        {
            var next = new List<(int Offset, int Length)>(pieces.Count * 2);
            foreach ((int offset, int pieceLength) in pieces)
            {
                SplitIsolated(stage, subject, offset, pieceLength, next);
            }

            pieces = next;
        }

        foreach ((int offset, int pieceLength) in pieces)
        {
            if (map is null)
            {
                ranges.Add((start + offset, pieceLength));
            }
            else
            {
                ranges.Add((start + map[offset], map[offset + pieceLength] - map[offset]));
            }
        }
    }

    // HF's Split with behavior Isolated: every match and every non-empty gap between matches is its own piece. The
    // piece is matched as a string of its own, so lookarounds stop at its edges as they do in HF.
    private static void SplitIsolated(Regex regex, ReadOnlySpan<char> subject, int offset, int length, List<(int, int)> output)
    {
        int position = offset;
        foreach (ValueMatch match in regex.EnumerateMatches(subject.Slice(offset, length)))
        {
            if (match.Length == 0)
            {
                continue;
            }

            int matchStart = offset + match.Index;
            if (matchStart > position)
            {
                output.Add((position, matchStart - position));
            }

            output.Add((matchStart, match.Length));
            position = matchStart + match.Length;
        }

        if (position < offset + length)
        {
            output.Add((position, offset + length - position));
        }
    }

    private static (char[] Subject, int[] Map) SubstituteSurrogatePairs(ReadOnlySpan<char> gap)
    {
        var subject = new char[gap.Length];
        var map = new int[gap.Length + 1];
        int n = 0;
        for (int i = 0; i < gap.Length; i++)
        {
            map[n] = i;
            if (char.IsHighSurrogate(gap[i]) && i + 1 < gap.Length && char.IsLowSurrogate(gap[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(gap[i], gap[i + 1]);
                subject[n++] = s_standIns[(int)CharUnicodeInfo.GetUnicodeCategory(codePoint)];
                i++;
            }
            else
            {
                subject[n++] = gap[i];
            }
        }

        map[n] = gap.Length;
        return (subject[..n], map);
    }

    private static char[] BuildStandIns()
    {
        // Stand-ins come from U+0800 up first, away from the ASCII and Latin-1 characters that patterns spell out.
        var table = new char[32];
        var found = new bool[32];
        foreach ((int from, int to) in new[] { (0x0800, 0xFFFF), (0x0080, 0x07FF) })
        {
            for (int c = from; c <= to; c++)
            {
                if (c is >= 0xD800 and <= 0xDFFF)
                {
                    continue;
                }

                int category = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
                if (!found[category])
                {
                    found[category] = true;
                    table[category] = (char)c;
                }
            }
        }

        return table;
    }

    private readonly record struct Segment(int Start, int Length, AddedToken? Token);

    /// <summary>Added tokens indexed by first character, longest first, for leftmost-longest matching.</summary>
    private sealed class AddedTokenSet
    {
        private readonly Dictionary<char, AddedToken[]> _byFirstChar;

        public AddedTokenSet(IEnumerable<AddedToken> tokens) =>
            _byFirstChar = tokens
                .Where(t => t.Content.Length > 0)
                .GroupBy(t => t.Content[0])
                .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());

        /// <summary>
        /// Splits text[start..end) into added-token segments (their content only) and the gaps between them.
        /// Matches are leftmost-longest and non-overlapping like HF's Aho-Corasick pass; lstrip/rstrip swallow the
        /// whitespace beside a token, and a single_word token is only taken when not inside a word.
        /// </summary>
        public void Cut(ReadOnlySpan<char> text, int start, int end, List<Segment> output)
        {
            int gapStart = start;
            int i = start;
            while (i < end && _byFirstChar.Count > 0)
            {
                AddedToken? hit = LongestAt(text, i, end);
                if (hit is null)
                {
                    i++;
                    continue;
                }

                int stop = i + hit.Content.Length;
                if (hit.SingleWord && ((i > start && IsWordChar(text[i - 1])) || (stop < end && IsWordChar(text[stop]))))
                {
                    i = stop; // HF's matcher has moved past this match already; it does not retry shorter ones.
                    continue;
                }

                int from = i;
                int to = stop;
                while (hit.LStrip && from > gapStart && char.IsWhiteSpace(text[from - 1]))
                {
                    from--;
                }

                while (hit.RStrip && to < end && char.IsWhiteSpace(text[to]))
                {
                    to++;
                }

                if (from > gapStart)
                {
                    output.Add(new Segment(gapStart, from - gapStart, null));
                }

                output.Add(new Segment(i, hit.Content.Length, hit));
                gapStart = i = to;
            }

            if (gapStart < end)
            {
                output.Add(new Segment(gapStart, end - gapStart, null));
            }
        }

        private AddedToken? LongestAt(ReadOnlySpan<char> text, int index, int end)
        {
            if (!_byFirstChar.TryGetValue(text[index], out AddedToken[]? candidates))
            {
                return null;
            }

            ReadOnlySpan<char> rest = text[index..end];
            foreach (AddedToken candidate in candidates)
            {
                if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }

            return null;
        }

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }
}
