using System.Text;

namespace Mercury.AI.Engine.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-printable-character table, as used by HuggingFace's ByteLevel pre-tokenizer and decoder.
/// Microsoft.ML.Tokenizers applies the same table when encoding (BpeOptions.ByteLevel) but keeps it internal, and we
/// need the reverse direction ourselves to decode to raw bytes (streaming must see bytes before they become text).
/// </summary>
internal static class ByteLevelAlphabet
{
    // Every mapped character is below U+0144 (256 + the 68 bytes that are not printable as themselves).
    private static readonly short[] s_charToByte = BuildCharToByte();

    /// <summary>
    /// Appends the bytes a vocabulary token stands for. A token holding a character outside the alphabet is taken as
    /// its raw UTF-8, which is what HF's ByteLevel decoder does for such tokens.
    /// </summary>
    public static void AppendTokenBytes(string token, List<byte> destination)
    {
        foreach (char c in token)
        {
            if (c >= s_charToByte.Length || s_charToByte[c] < 0)
            {
                AppendUtf8(token, destination);
                return;
            }
        }

        foreach (char c in token)
        {
            destination.Add((byte)s_charToByte[c]);
        }
    }

    /// <summary>Appends the bytes of a token written wholly in the byte-level alphabet; false (nothing appended) otherwise.</summary>
    public static bool TryAppendTokenBytes(string token, List<byte> destination)
    {
        foreach (char c in token)
        {
            if (c >= s_charToByte.Length || s_charToByte[c] < 0) return false;
        }

        foreach (char c in token) destination.Add((byte)s_charToByte[c]);
        return true;
    }

    /// <summary>Appends the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static void AppendUtf8(string text, List<byte> destination) => destination.AddRange(Encoding.UTF8.GetBytes(text));

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static short[] BuildCharToByte()
    {
        var table = new short[0x144];
        Array.Fill(table, (short)-1);
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            int c = IsPrintable(b) ? b : 256 + n++;
            table[c] = (short)b;
        }

        return table;
    }
}
