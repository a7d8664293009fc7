using System.Net;
using System.Text.Json.Nodes;

namespace Mercury.AI.Server.Tests;

/// <summary>Back-pressure (429 when the queue is full) and clients that leave (their decode stops).</summary>
public sealed class LoadAndCancellationTests
{
    private const string Request = """{"model": "scripted-model", "messages": [{"role": "user", "content": "slow"}], "max_tokens": 64}""";

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_frees_up_afterwards()
    {
        var gate = new ManualResetEventSlim();
        await using var server = await WireFormatTests.StartScripted(_ => "done", o => { o.MaxConcurrentRequests = 1; o.MaxQueuedRequests = 1; },
            beforeStep: _ => gate.Wait(TimeSpan.FromSeconds(30)));

        var first = server.Client.PostAsync("v1/chat/completions", WireFormatTests.Json(Request));
        await WaitUntil(() => server.Gate.Active == 1);
        var second = server.Client.PostAsync("v1/chat/completions", WireFormatTests.Json(Request));
        await WaitUntil(() => server.Gate.Waiting == 1);

        using (var third = await server.Client.PostAsync("v1/chat/completions", WireFormatTests.Json(Request)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("1", third.Headers.GetValues("Retry-After").Single());
            var error = JsonNode.Parse(await third.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("rate_limit_error", (string)error["type"]!);
            Assert.Equal("queue_full", (string)error["code"]!);
        }

        gate.Set();
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
        Assert.Equal(1, server.Gate.Rejected);
        using var after = await server.Client.PostAsync("v1/chat/completions", WireFormatTests.Json(Request));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_its_decode()
    {
        int steps = 0;
        await using var server = await WireFormatTests.StartScripted(_ => string.Join(" ", Enumerable.Range(0, 60)), beforeStep: _ =>
        {
            Interlocked.Increment(ref steps);
            Thread.Sleep(20);
        });
        const string json = """{"model": "scripted-model", "messages": [{"role": "user", "content": "count"}], "max_tokens": 200, "stream": true, "diffusing": true}""";
        // A raw socket, closed mid-stream as a browser tab is (HttpClient would drain the rest to reuse its connection).
        using (var socket = new System.Net.Sockets.TcpClient())
        {
            await socket.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
            var stream = socket.GetStream();
            byte[] body = System.Text.Encoding.UTF8.GetBytes(json);
            byte[] head = System.Text.Encoding.ASCII.GetBytes(
                $"POST /v1/chat/completions HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
            await stream.WriteAsync(head);
            await stream.WriteAsync(body);
            using var reader = new StreamReader(stream);
            // Read until the first denoising step arrives, then hang up.
            while (await reader.ReadLineAsync() is { } line && !line.Contains("\"diffusion\"", StringComparison.Ordinal)) { }
        }

        await WaitUntil(() => server.Gate.Cancelled == 1 && server.Gate.Active == 0);
        int stepsAtCancel = Volatile.Read(ref steps);
        await Task.Delay(300);
        // The request completes at once; its row stops at the next step boundary, so a step that was already starting
        // when the client left may still run (the decode loop's contract), but no more.
        Assert.InRange(Volatile.Read(ref steps), stepsAtCancel, stepsAtCancel + 1);
        // A 200-token canvas at 2 + 1 tokens a step needs ~67 steps; the decode stopped well before.
        Assert.True(stepsAtCancel < 50, $"the decode ran {stepsAtCancel} steps after the client left");
    }

    internal static async Task WaitUntil(Func<bool> condition, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition never held.");
            await Task.Delay(10);
        }
    }
}
