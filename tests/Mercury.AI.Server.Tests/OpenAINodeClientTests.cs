using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Mercury.AI.Server.Tests;

/// <summary>
/// A second real client, written by nobody here: the official <c>openai</c> npm package (pinned in
/// <c>tests/openai-node/package-lock.json</c>) runs <c>client-check.mjs</c> against the server on the embedded model:
/// chat, streaming, tools with <c>tool_choice</c> required and named, JSON mode and schema, FIM through
/// <c>completions.create</c>, and a 400 for a caller's mistake. Needs node and npm (<c>.ci/run</c> installs them);
/// the package is installed with <c>npm ci</c> on first run.
/// </summary>
public sealed class OpenAINodeClientTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_openai_npm_package_chats_streams_calls_tools_gets_json_and_fills_the_middle()
    {
        string folder = NodeFolder();
        if (!File.Exists(Path.Combine(folder, "node_modules", "openai", "package.json")))
        {
            var (installed, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder);
            Assert.True(installed == 0, $"npm ci failed ({installed}):\n{output}");
        }
        await using var server = await ServerHost.StartAsync(null, o => o.Device = "cpu");

        var (code, log) = await RunAsync("node", ["client-check.mjs", new Uri(server.BaseAddress, "v1").ToString()], folder);

        Assert.True(code == 0, $"node client-check.mjs failed ({code}):\n{log}");
        var summary = JsonNode.Parse(log.Trim().Split('\n')[^1])!;
        Assert.Equal("mercury-coder-tiny", (string)summary["model"]!);
        Assert.Contains((string)summary["tools"]!["required"]!["name"]!, new[] { "get_weather", "add" });
        Assert.Equal("add", (string)summary["tools"]!["named"]!["name"]!);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, summary["tools"]!["named"]!["arguments"]!["a"]!.GetValueKind());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, summary["json"]!["person"]!["born"]!.GetValueKind());
        Assert.NotNull(summary["fim"]!["text"]);
        Assert.Equal(10, (int)summary["requests"]!);
    }

    private static string NodeFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Mercury.AI.sln"))) return Path.Combine(dir.FullName, "tests", "openai-node");
        throw new DirectoryNotFoundException($"No Mercury.AI.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Runs a tool to completion (killed after <see cref="Limit"/>); the exit code and its output, stderr after stdout.</summary>
    private static async Task<(int Code, string Output)> RunAsync(string tool, string[] arguments, string folder)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"'{tool}' is not installed: this test needs node and npm (Debian: apt-get install nodejs npm; .ci/run does).", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(Limit);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{tool} {string.Join(' ', arguments)} ran past {Limit}.");
            }
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
