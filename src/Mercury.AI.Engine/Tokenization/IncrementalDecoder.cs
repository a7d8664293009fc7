using System.Runtime.InteropServices;
using System.Text;

namespace Mercury.AI.Engine.Tokenization;

/// <summary>
/// Turns a stream of ids into text as it arrives. A byte-level token can end in the middle of a UTF-8 character
/// (emoji and CJK often span two tokens), so the bytes of an unfinished character are held back until the tokens
/// that complete it arrive. Concatenating every <see cref="Append(IEnumerable{int})"/> result and the final <see cref="Flush"/>
/// gives exactly <see cref="HuggingFaceTokenizer.Decode"/> of all the ids.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<byte> _pending = [];

    public IncrementalDecoder(HuggingFaceTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds ids and returns the text they complete; never half a character.</summary>
    public string Append(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (int id in ids)
        {
            _tokenizer.AppendBytes(id, _skipSpecialTokens, _pending);
        }

        int ready = _pending.Count - IncompleteTailLength(CollectionsMarshal.AsSpan(_pending));
        return Take(ready);
    }

    /// <summary>Adds one id; see <see cref="Append(IEnumerable{int})"/>.</summary>
    public string Append(int id) => Append([id]);

    /// <summary>Returns whatever is held back (an unfinished character becomes U+FFFD) and starts afresh.</summary>
    public string Flush() => Take(_pending.Count);

    private string Take(int count)
    {
        if (count == 0)
        {
            return string.Empty;
        }

        string text = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_pending)[..count]);
        _pending.RemoveRange(0, count);
        return text;
    }

    /// <summary>
    /// Length of a trailing UTF-8 sequence that is valid so far but not finished; 0 if there is none. Only such a
    /// tail can decode differently once more bytes follow: everything before it is complete or already invalid,
    /// and the decoder's U+FFFD for an invalid sequence does not depend on what comes next.
    /// </summary>
    internal static int IncompleteTailLength(ReadOnlySpan<byte> bytes)
    {
        // A lead byte and at most 2 continuation bytes can still be waiting for more.
        for (int back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            byte b = bytes[^back];
            if (b is >= 0x80 and <= 0xBF)
            {
                continue; // continuation byte: look further back for its lead
            }

            int needed = b switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 0, // ASCII or a byte that can never start a sequence
            };
            if (needed <= back)
            {
                return 0;
            }

            // The second byte has a narrower range after E0, ED, F0 and F4 (no overlongs, surrogates or > U+10FFFF).
            if (back >= 2)
            {
                byte second = bytes[^(back - 1)];
                bool ok = b switch
                {
                    0xE0 => second >= 0xA0,
                    0xED => second <= 0x9F,
                    0xF0 => second >= 0x90,
                    0xF4 => second <= 0x8F,
                    _ => true,
                };
                if (!ok)
                {
                    return 0;
                }
            }

            return back;
        }

        return 0;
    }
}
