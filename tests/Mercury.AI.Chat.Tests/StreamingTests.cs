using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

public class StreamingTests
{
    [Fact]
    public async Task Streamed_text_arrives_in_several_updates_and_concatenates_to_the_answer()
    {
        const string answer = "The quick brown fox jumps over the lazy dog.";
        using var client = ScriptedBackend.Client(_ => answer);
        var updates = await client.GetStreamingResponseAsync("hi", new ChatOptions { MaxOutputTokens = 40 }).ToListAsync();

        var textUpdates = updates.Where(u => u.Text.Length > 0).ToList();
        Assert.True(textUpdates.Count > 3, $"expected the text in several updates, got {textUpdates.Count}");
        Assert.Equal(answer, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.Single(updates.Select(u => u.MessageId).Distinct());
    }

    [Fact]
    public async Task Only_tokens_before_the_first_mask_are_streamed()
    {
        // The scripted decode commits the last canvas position first; it must not appear before its turn.
        var backend = new ScriptedBackend(_ => "aaaa bbbb cccc dddd eeee ZZZZ") { TokensPerStep = 1 };
        using var client = ScriptedBackend.Client(backend);
        var seen = new List<string>();
        string sofar = "";
        await foreach (var update in client.GetStreamingResponseAsync("hi", new ChatOptions { MaxOutputTokens = 12 }))
            if (update.Text.Length > 0) seen.Add(sofar += update.Text);
        Assert.All(seen, prefix => Assert.StartsWith(prefix, "aaaa bbbb cccc dddd eeee ZZZZ"));
        Assert.DoesNotContain(seen.Take(seen.Count - 1), s => s.Contains("ZZZZ"));
    }

    [Fact]
    public async Task Final_update_has_usage_and_finish_reason_and_streaming_equals_non_streaming()
    {
        using var client = ScriptedBackend.Client(_ => "Hello streaming world");
        var streamed = await client.GetStreamingResponseAsync("hi").ToListAsync();
        var whole = await client.GetResponseAsync("hi");

        var last = streamed[^1];
        var usage = Assert.Single(last.Contents.OfType<UsageContent>()).Details;
        Assert.Equal(whole.Usage!.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
        Assert.Equal(ChatFinishReason.Stop, last.FinishReason);
        var combined = streamed.ToChatResponse();
        Assert.Equal(whole.Text, combined.Text);
        Assert.Equal("scripted-model", combined.ModelId);
    }

    [Fact]
    public async Task Text_is_held_back_while_it_may_begin_a_stop_sequence_and_never_passes_it()
    {
        using var client = ScriptedBackend.Client(_ => "one two three STOP four five");
        var texts = new List<string>();
        await foreach (var update in client.GetStreamingResponseAsync("hi", new ChatOptions { StopSequences = ["STOP"] }))
            texts.Add(update.Text);
        Assert.Equal((await client.GetResponseAsync("hi", new ChatOptions { StopSequences = ["STOP"] })).Text, string.Concat(texts));
        Assert.DoesNotContain(texts, t => t.Contains('S'));
    }

    [Fact]
    public async Task Multi_byte_characters_are_never_split_across_updates()
    {
        const string answer = "héllo 日本語 👋 done";
        using var client = ScriptedBackend.Client(_ => answer);
        var updates = await client.GetStreamingResponseAsync("hi", new ChatOptions { MaxOutputTokens = 40 }).ToListAsync();
        Assert.DoesNotContain(updates, u => u.Text.Contains('\uFFFD'));
        Assert.Equal(answer, string.Concat(updates.Select(u => u.Text)));
    }

    [Fact]
    public async Task Denoising_snapshots_are_streamed_when_asked_for()
    {
        using var client = ScriptedBackend.Client(_ => "abc def");
        var options = new ChatOptions { MaxOutputTokens = 6, AdditionalProperties = new() { [DiffusionChatOptions.StreamSnapshotsKey] = true } };
        var snapshots = new List<DiffusionSnapshot>();
        await foreach (var update in client.GetStreamingResponseAsync("hi", options))
            if (update.AdditionalProperties?.TryGetValue(DiffusionChatOptions.SnapshotKey, out object? s) == true) snapshots.Add((DiffusionSnapshot)s!);

        Assert.NotEmpty(snapshots);
        Assert.Equal(Enumerable.Range(0, snapshots.Count), snapshots.Select(s => s.Step));
        Assert.Contains(DiffusionSnapshot.MaskGlyph, snapshots[0].Text);
        Assert.True(snapshots[0].MaskedCount > snapshots[^1].MaskedCount);
        Assert.Equal(0, snapshots[^1].MaskedCount);
        Assert.DoesNotContain(await client.GetStreamingResponseAsync("hi").ToListAsync(), u => u.AdditionalProperties?.ContainsKey(DiffusionChatOptions.SnapshotKey) == true);
    }

    [Fact]
    public async Task Cancelling_the_stream_stops_the_decode_within_a_step()
    {
        int steps = 0;
        var backend = new ScriptedBackend(_ => string.Concat(Enumerable.Repeat("word ", 200)))
        {
            TokensPerStep = 1,
            BeforeStep = _ => { Interlocked.Increment(ref steps); Thread.Sleep(5); },
        };
        using var client = ScriptedBackend.Client(backend);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("hi", new ChatOptions { MaxOutputTokens = 400 }, cts.Token))
                if (update.Text.Length > 0) cts.Cancel();
        });
        // The decode loop sees the cancellation at its next step and is free for the next request.
        var next = await client.GetResponseAsync("again", new ChatOptions { MaxOutputTokens = 4 }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(backend.SawCancellation);
        Assert.True(steps < 300, $"decode ran {steps} steps after cancellation");
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Cancelling_a_non_streaming_request_ends_it_with_operation_canceled()
    {
        var backend = new ScriptedBackend(_ => string.Concat(Enumerable.Repeat("x ", 100))) { TokensPerStep = 1, BeforeStep = _ => Thread.Sleep(5) };
        using var client = ScriptedBackend.Client(backend);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", new ChatOptions { MaxOutputTokens = 200 }, cts.Token));
    }

    [Fact]
    public async Task Streaming_in_json_mode_returns_the_validated_answer()
    {
        using var client = ScriptedBackend.Client(_ => "\"a\": 1}");
        var updates = await client.GetStreamingResponseAsync("hi", new ChatOptions { ResponseFormat = ChatResponseFormat.Json }).ToListAsync();
        Assert.Equal("{\"a\": 1}", string.Concat(updates.Select(u => u.Text)));
        Assert.Contains(updates, u => u.Contents.OfType<UsageContent>().Any());
    }

    [Fact]
    public async Task Leaving_the_stream_early_stops_the_decode()
    {
        var backend = new ScriptedBackend(_ => string.Concat(Enumerable.Repeat("word ", 200))) { TokensPerStep = 1, BeforeStep = _ => Thread.Sleep(25) };
        using var client = ScriptedBackend.Client(backend);
        await foreach (var update in client.GetStreamingResponseAsync("hi", new ChatOptions { MaxOutputTokens = 400 }))
            if (update.Text.Length > 0) break;

        // The abandoned decode has hundreds of 25 ms steps left; the next request must not wait for them.
        var next = await client.GetResponseAsync("again", new ChatOptions { MaxOutputTokens = 4 }).WaitAsync(TimeSpan.FromSeconds(4));
        Assert.True(backend.SawCancellation);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task A_stop_sequence_inside_a_token_ends_the_stream_where_the_answer_ends()
    {
        // A stop sequence may start inside a token: the answer then ends before that whole token, and so does the stream.
        using var client = ScriptedBackend.Client(_ => "one two three");
        var options = new ChatOptions { StopSequences = ["wo"] };
        string streamed = string.Concat((await client.GetStreamingResponseAsync("hi", options).ToListAsync()).Select(u => u.Text));
        Assert.Equal((await client.GetResponseAsync("hi", options)).Text, streamed);
        Assert.DoesNotContain("wo", streamed);
    }
}
