using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mercury.AI.Agents.Tests.Host;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>
/// A workspace job through <c>--chat openai:&lt;url&gt;</c>: the host's OpenAI client (Microsoft.Extensions.AI.OpenAI)
/// talks to a scripted OpenAI-compatible endpoint that answers with the sample's trajectory as <c>tool_calls</c>. What
/// crosses the wire is what a real endpoint gets: the tools as function definitions, each result as a <c>tool</c>
/// message under its call id, the per-turn token cap.
/// </summary>
public sealed class WorkspaceOpenAIEndpointTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-workspace-openai");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    [Fact]
    public async Task A_sample_is_solved_through_an_openai_compatible_endpoint_with_tool_calls_on_the_wire()
    {
        var replies = JsonNode.Parse(File.ReadAllText(WorkspaceJobs.Sample("python-median", "trajectory.json")))!["replies"]!.AsArray();
        var requests = new List<JsonNode>();
        int port = HostProcess.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/v1/");
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (Exception) when (stop.IsCancellationRequested) { return; }
                string body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
                string answer;
                if (context.Request.Url!.AbsolutePath.EndsWith("/models")) answer = """{"object":"list","data":[{"id":"scripted","object":"model","owned_by":"test"}]}""";
                else
                {
                    var request = JsonNode.Parse(body)!;
                    lock (requests) requests.Add(request);
                    answer = Completion(replies, request["messages"]!.AsArray().Count(m => (string?)m!["role"] == "assistant"));
                }
                var bytes = Encoding.UTF8.GetBytes(answer);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });

        var output = new StringWriter();
        int code;
        try
        {
            code = await Mercury.AI.Agents.Host.Cli.RunAsync(
                ["run", WorkspaceJobs.Sample("python-median"), "--chat", $"openai:http://127.0.0.1:{port}/v1", "--data", _dir.Combine("data")], output);
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            await serving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        }

        Assert.True(code == 0, output.ToString());
        Assert.Contains("finished at turn 4; visible tests pass, hidden tests pass", output.ToString());
        Assert.Equal(4, requests.Count); // one request per turn: no turn asked for twice
        foreach (var request in requests)
        {
            Assert.Equal("scripted", (string?)request["model"]);
            Assert.Equal(["list_files", "read_file", "search", "write_file", "replace_in_file", "delete_file", "run_tests", "finish"],
                request["tools"]!.AsArray().Select(t => (string?)t!["function"]!["name"]));
            Assert.True((int?)(request["max_completion_tokens"] ?? request["max_tokens"]) is > 0 and <= 4096, request.ToJsonString());
        }
        // Turn 2 sees turn 1's run_tests result under turn 1's call id: the failing test's output.
        var toolMessage = requests[1]["messages"]!.AsArray().Single(m => (string?)m!["role"] == "tool")!;
        Assert.Equal("call_1_0", (string?)toolMessage["tool_call_id"]);
        Assert.Contains("FAILED", Text(toolMessage["content"]!));
        Assert.DoesNotContain(requests, r => r.ToJsonString().Contains("test_stats_hidden")); // the hidden tests never reach the model
    }

    /// <summary>Reply <paramref name="turn"/> of a replay trajectory as an OpenAI chat completion.</summary>
    private static string Completion(JsonArray replies, int turn)
    {
        var reply = replies[Math.Min(turn, replies.Count - 1)]!;
        var calls = new JsonArray();
        int i = 0;
        foreach (var call in reply["toolCalls"]?.AsArray() ?? [])
            calls.Add(new JsonObject
            {
                ["id"] = $"call_{turn + 1}_{i++}", ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = (string?)call!["name"], ["arguments"] = call["arguments"]!.ToJsonString() },
            });
        var message = new JsonObject { ["role"] = "assistant", ["content"] = (string?)reply["text"] };
        if (calls.Count > 0) message["tool_calls"] = calls;
        return new JsonObject
        {
            ["id"] = $"chatcmpl-{turn}", ["object"] = "chat.completion", ["created"] = 0, ["model"] = "scripted",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = calls.Count > 0 ? "tool_calls" : "stop" }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 100, ["completion_tokens"] = 20, ["total_tokens"] = 120 },
        }.ToJsonString();
    }

    private static string Text(JsonNode content) => content is JsonArray parts
        ? string.Concat(parts.Select(p => (string?)p!["text"])) : (string?)content ?? "";
}
