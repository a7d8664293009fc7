using System.Globalization;
using System.Text;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// Model replies, test output and job names are untrusted text. Printed raw, their escape sequences drive the
/// operator's terminal: clear the screen, move the cursor to overwrite a line with a fake "PASSED", write the
/// clipboard (OSC 52), retitle the window. Every control character except newline and tab is shown as visible text
/// instead (caret notation for C0 and DEL, &lt;U+XXXX&gt; for C1 and the bidirectional overrides of "Trojan Source").
/// </summary>
public static class TerminalText
{
    public static string Sanitize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.AsSpan().ContainsAny(Unsafe)) return text;
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (c is '\n' or '\t') sb.Append(c);
            else if (c < 0x20) sb.Append('^').Append((char)(c + 0x40)); // ESC → ^[, CR → ^M, BEL → ^G
            else if (c == 0x7F) sb.Append("^?");
            else if (IsUnsafe(c)) sb.Append("<U+").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('>');
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool IsUnsafe(char c) =>
        c < 0x20 && c is not '\n' and not '\t' || c is >= '\u007F' and <= '\u009F'
        || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069' || c is '\u200E' or '\u200F' or '\u061C';

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        Enumerable.Range(0, 0x10000).Select(i => (char)i).Where(IsUnsafe).ToArray());
}
