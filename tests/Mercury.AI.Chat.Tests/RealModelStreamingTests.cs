using Mercury.AI.Chat.Tests.Conformance;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat.Tests;

/// <summary>Streaming over the real engine: its step snapshots, end tokens and batching, not a script.</summary>
public class RealModelStreamingTests
{
    [Theory]
    [InlineData("llada-tiny", null)]
    [InlineData("llada-tiny", "Dual")]
    [InlineData("dream-tiny", null)]
    public async Task Streamed_text_and_usage_equal_the_non_streaming_answer(string fixture, string? cache)
    {
        using var client = DiffusionChatClient.Load(RealModel.Options(fixture));
        var options = new ChatOptions { MaxOutputTokens = 16, AdditionalProperties = new() { [DiffusionChatOptions.BlockLengthKey] = 4 } };
        if (cache is not null) options.AdditionalProperties[DiffusionChatOptions.CacheKey] = cache;
        foreach (string prompt in RealModel.Prompts(3))
        {
            var whole = await client.GetResponseAsync(prompt, options);
            var updates = await client.GetStreamingResponseAsync(prompt, options).ToListAsync();
            var streamed = updates.ToChatResponse();

            Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
            Assert.Equal(whole.Usage!.OutputTokenCount, streamed.Usage!.OutputTokenCount);
            Assert.Equal(whole.FinishReason, streamed.FinishReason);
        }
    }

    [Fact]
    public async Task Snapshots_from_the_engine_show_the_canvas_filling_in()
    {
        using var client = DiffusionChatClient.Load(RealModel.Options("llada-tiny"));
        var options = new ChatOptions
        {
            MaxOutputTokens = 8,
            AdditionalProperties = new() { [DiffusionChatOptions.StreamSnapshotsKey] = true, [DiffusionChatOptions.StepsKey] = 8 },
        };
        var snapshots = new List<DiffusionSnapshot>();
        await foreach (var update in client.GetStreamingResponseAsync(RealModel.Prompts(1)[0], options))
            if (update.AdditionalProperties?.TryGetValue(DiffusionChatOptions.SnapshotKey, out object? s) == true) snapshots.Add((DiffusionSnapshot)s!);
        Assert.NotEmpty(snapshots);
        Assert.True(snapshots.Zip(snapshots.Skip(1)).All(p => p.First.MaskedCount >= p.Second.MaskedCount));
        Assert.True(snapshots.Zip(snapshots.Skip(1)).All(p => p.First.StableLength <= p.Second.StableLength));
    }

    [Fact]
    public async Task Cancelling_a_real_decode_stops_it_promptly()
    {
        // Cancelled the moment the decode loop starts the request's batch (its Debug log line), not after a delay: a
        // delay taken from a timed decode raced the decode on a loaded machine (the run could finish first).
        using var cts = new CancellationTokenSource();
        bool armed = false;
        var logs = new ListLoggerProvider(message =>
        {
            if (Volatile.Read(ref armed) && message.StartsWith("Decoding a batch", StringComparison.Ordinal)) cts.Cancel();
        });
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        using var client = DiffusionChatClient.Load(RealModel.Options("llada-tiny"), factory);
        var options = new ChatOptions { MaxOutputTokens = 200, AdditionalProperties = new() { [DiffusionChatOptions.BlockLengthKey] = 200 } };
        await client.GetResponseAsync(RealModel.Prompts(1)[0], options); // warm-up, so the timed decode is a warm one
        var full = System.Diagnostics.Stopwatch.StartNew();
        await client.GetResponseAsync(RealModel.Prompts(1)[0], options);
        full.Stop();

        Volatile.Write(ref armed, true);
        var cancelled = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(RealModel.Prompts(2)[1], options, cts.Token));
        Volatile.Write(ref armed, false);
        // The loop is free again right away: the next request does not wait for the cancelled decode to finish.
        var next = await client.GetResponseAsync(RealModel.Prompts(1)[0], new ChatOptions { MaxOutputTokens = 2 });
        cancelled.Stop();
        Assert.True(cancelled.Elapsed < full.Elapsed, $"cancelled run took {cancelled.Elapsed}, a full decode {full.Elapsed}");
        Assert.IsType<GenerationResult>(next.RawRepresentation);
    }
}
