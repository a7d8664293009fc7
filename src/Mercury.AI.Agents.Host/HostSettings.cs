using System.Globalization;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Configuration;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// Command-line flags → configuration keys, and configuration → options. Flags win over environment variables
/// (Agents__DataDirectory, ...) and appsettings.json.
/// </summary>
internal static class HostSettings
{
    public static readonly Dictionary<string, string> FlagKeys = new()
    {
        ["--data"] = "Agents:DataDirectory",
        ["--concurrency"] = "Agents:MaxConcurrentJobs",
        ["--chat"] = "Agents:ChatClient",
        ["--model"] = "Agents:ModelPath",
        ["--device"] = "Agents:Device",
        ["--prompt-style"] = "Agents:PromptStyle",
        ["--restart-temperature"] = "Agents:RestartTemperature",
        ["--port"] = "Agents:Port",
        ["--lease-seconds"] = "Agents:LeaseSeconds",
        ["--heartbeat-seconds"] = "Agents:HeartbeatSeconds",
        ["--bwrap"] = "Agents:Sandbox:BubblewrapPath",
        ["--store"] = "Agents:Store",
        ["--jobs"] = "Agents:Bench:Jobs",
        ["--claimers"] = "Agents:Bench:Claimers",
        ["--chat-model"] = "Agents:ChatModel",
        ["--out"] = "Agents:Eval:Out",
        ["--tokens-per-turn"] = "Agents:WorkspaceTokensPerTurn",
    };

    public const string UnsafeFlag = "--unsafe-no-sandbox";
    public const int DefaultPort = 5117;

    /// <summary>Splits flags from positional arguments; flags become configuration entries.</summary>
    public static (List<string> Positional, Dictionary<string, string?> Config, HashSet<string> Switches) Parse(string[] args)
    {
        var positional = new List<string>();
        var config = new Dictionary<string, string?>();
        var switches = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (FlagKeys.TryGetValue(a, out var key))
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"{a} needs a value");
                config[key] = args[++i];
            }
            else if (a == UnsafeFlag) config["Agents:Sandbox:AllowUnsafeNoIsolation"] = "true";
            else if (a.StartsWith("--", StringComparison.Ordinal)) switches.Add(a);
            else positional.Add(a);
        }
        return (positional, config, switches);
    }

    public static AgentHostOptions AgentOptions(IConfiguration c)
    {
        var o = new AgentHostOptions();
        if (c["Agents:DataDirectory"] is { } data) o.DataDirectory = Path.GetFullPath(data);
        if (Int(c, "Agents:MaxConcurrentJobs") is { } n) o.MaxConcurrentJobs = n;
        if (Int(c, "Agents:LeaseSeconds") is { } lease) o.LeaseDuration = TimeSpan.FromSeconds(lease);
        if (c["Agents:RestartTemperature"] is { } temperature)
            o.RestartTemperature = double.TryParse(temperature, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double t) && t >= 0 && double.IsFinite(t)
                ? t : throw new ArgumentException($"--restart-temperature must be a number ≥ 0 (was '{temperature}').");
        if (Int(c, "Agents:HeartbeatSeconds") is { } beat) o.HeartbeatInterval = TimeSpan.FromSeconds(beat);
        // The embedded model has a 512-token context: a longer canvas per turn is time spent decoding nothing.
        o.WorkspaceTokensPerTurn = Int(c, "Agents:WorkspaceTokensPerTurn") is { } perTurn
            ? perTurn is >= 16 and <= 1_000_000 ? perTurn : throw new ArgumentException($"--tokens-per-turn must be 16..1000000 (was {perTurn}).")
            : UsesEmbeddedModel(c) ? 512 : 4096;
        // The embedded model was trained on compact single-turn prompts and has a 512-token context: use them when it
        // is the model — in process (no --model, no --chat) or behind an OpenAI endpoint — unless Agents:PromptStyle says otherwise.
        o.PromptStyle = c["Agents:PromptStyle"] is { } style
            ? Enum.Parse<Agent.PromptStyle>(style, ignoreCase: true)
            : UsesEmbeddedModel(c) ? Agent.PromptStyle.Compact : Agent.PromptStyle.Full;
        return o;
    }

    private static bool UsesEmbeddedModel(IConfiguration c) => c["Agents:ChatClient"] is { } chat
        ? chat.StartsWith(Remote.OpenAIChat.Prefix, StringComparison.Ordinal) && c["Agents:ChatModel"] == Mercury.AI.Engine.EmbeddedModel.Name
        : c["Agents:ModelPath"] is null;

    public static SandboxOptions SandboxOptions(IConfiguration c) => new()
    {
        BubblewrapPath = c["Agents:Sandbox:BubblewrapPath"],
        AllowUnsafeNoIsolation = string.Equals(c["Agents:Sandbox:AllowUnsafeNoIsolation"], "true", StringComparison.OrdinalIgnoreCase),
    };

    public static HtmlRunnerOptions HtmlOptions(IConfiguration c)
    {
        var options = new HtmlRunnerOptions();
        if (c["Agents:Html:ChromiumPath"] is { } path) options.ChromiumPath = path;
        return options;
    }

    public static int Port(IConfiguration c) => Int(c, "Agents:Port") ?? DefaultPort;

    /// <summary>The API's settings; the token is Agents:Api:Token (or $MERCURY_AGENTS_TOKEN), else the data folder's api-token file.</summary>
    public static LoopbackApiOptions ApiOptions(IConfiguration c, string dataDirectory) => new()
    {
        Port = Port(c),
        Token = ApiToken.Resolve(c["Agents:Api:Token"] ?? Environment.GetEnvironmentVariable("MERCURY_AGENTS_TOKEN"), dataDirectory),
        BodyTimeout = TimeSpan.FromSeconds(Int(c, "Agents:Api:BodyTimeoutSeconds") ?? 10),
        SubmitsPerMinute = Int(c, "Agents:Api:SubmitsPerMinute") ?? 30,
        SubmitBurst = Int(c, "Agents:Api:SubmitBurst") ?? 10,
    };

    private static int? Int(IConfiguration c, string key) =>
        c[key] is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
}
