using System.Security.Cryptography;
using System.Text;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// The credential of the HTTP API: configured (<c>Agents:Api:Token</c>), or generated at first start into
/// &lt;data&gt;/api-token, readable by its owner only (0600, created with O_EXCL so nobody can slip another file in first).
/// <c>mercury-agents token</c> prints it for scripts: <c>curl -H "Authorization: Bearer $(mercury-agents token)"</c>.
/// </summary>
public static class ApiToken
{
    public const string FileName = "api-token";

    public static string Resolve(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (configured.Trim().Length < 16) throw new ArgumentException("Agents:Api:Token must have at least 16 characters.");
            return configured.Trim();
        }
        Directory.CreateDirectory(dataDirectory);
        string path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path)) return Read(path);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var file = new FileStream(path, create);
            string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
            file.Write(Encoding.ASCII.GetBytes(token + "\n"));
            return token;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Read(path); // another process made it first
        }
    }

    private static string Read(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"{path} can be read by other users; remove it (a new one is made) or chmod 600 it.");
        string token = File.ReadAllText(path).Trim();
        return token.Length >= 16 ? token : throw new InvalidOperationException($"{path} holds no usable token; remove it and a new one is made.");
    }

    /// <summary>Constant-time comparison of an <c>Authorization: Bearer</c> header with the token.</summary>
    public static bool Matches(string? authorization, string token)
    {
        string given = authorization is { } h && h.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? h[7..].Trim() : "";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));
    }
}
