using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mercury.AI.Chat.Decoding;
using Mercury.AI.Chat.Tools;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat;

public sealed partial class DiffusionChatClient
{
    /// <summary>
    /// Streams the answer as the sampler commits it: each update carries text that can no longer change, in order;
    /// the last carries tool calls (if any), <see cref="UsageContent"/> and the finish reason. With
    /// <see cref="DiffusionChatOptions.StreamSnapshotsKey"/> set, every denoising step also yields an update whose
    /// <c>AdditionalProperties[<see cref="DiffusionChatOptions.SnapshotKey"/>]</c> is a <see cref="DiffusionSnapshot"/>.
    /// JSON output and required tool calls are checked (and may be decoded schema-guided) first, so they arrive as one update.
    /// Cancelling stops the decode within a step.
    /// </summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(messages, options);
        if (prepared.Json is not null || prepared.RequireToolCall)
        {
            // One update, shaped as the streamed path's last: the contents, usage and the finish reason.
            var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            var message = response.Messages[0];
            yield return new ChatResponseUpdate(ChatRole.Assistant, [.. message.Contents, new UsageContent(response.Usage!)])
            {
                ResponseId = response.ResponseId, MessageId = message.MessageId, CreatedAt = response.CreatedAt, ModelId = response.ModelId,
                FinishReason = response.FinishReason, RawRepresentation = response.RawRepresentation,
            };
            yield break;
        }

        var created = DateTimeOffset.UtcNow;
        string responseId = NewId("resp"), messageId = NewId("msg");
        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId, MessageId = messageId, CreatedAt = created, ModelId = ModelId,
        };

        var markers = new List<string>(prepared.Request.StopSequences ?? []);
        if (prepared.HasTools) markers.Add(ToolPrompt.CallOpen);
        var text = new StreamingText(_backend.Tokenizer, _endTokenIds, markers);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var updates = Channel.CreateUnbounded<ChatResponseUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        int maskTokenId = _backend.Config.MaskTokenId;
        var job = new DecodeJob(prepared.Request, step =>
        {
            if (prepared.StreamSnapshots)
            {
                var snapshot = Update([]);
                snapshot.AdditionalProperties = new() { [DiffusionChatOptions.SnapshotKey] = StreamingText.Snapshot(step, _backend.Tokenizer, maskTokenId) };
                updates.Writer.TryWrite(snapshot);
            }
            if (text.OnStep(step) is { Length: > 0 } delta) updates.Writer.TryWrite(Update([new TextContent(delta)]));
        }, stop.Token);

        var decode = _loop.EnqueueAsync(job);
        _ = decode.ContinueWith(static (_, writer) => ((ChannelWriter<ChatResponseUpdate>)writer!).TryComplete(), updates.Writer,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        GenerationResult result;
        try
        {
            await foreach (var update in updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return update;
            result = await decode.ConfigureAwait(false);
        }
        finally
        {
            // A caller that stops enumerating early no longer wants the answer: free the decode loop.
            if (!decode.IsCompleted) stop.Cancel();
        }

        // The final answer decides; the stream so far is a prefix of it (see StreamingText).
        string full = result.Text ?? "";
        string emitted = text.Emitted;
        if (!full.StartsWith(emitted, StringComparison.Ordinal))
        {
            _logger.LogWarning("Streamed text is not a prefix of the final answer; the final update carries only the tool calls and usage.");
            emitted = full;
        }
        var (rest, calls) = prepared.HasTools ? ToolCallParser.Parse(full[emitted.Length..]) : (full[emitted.Length..], []);
        calls = prepared.Limit(calls);
        var contents = new List<AIContent>();
        if (rest.Length > 0) contents.Add(new TextContent(rest));
        contents.AddRange(calls);
        contents.Add(new UsageContent(new UsageDetails
        {
            InputTokenCount = result.PromptTokenCount,
            OutputTokenCount = result.Tokens.Count,
            TotalTokenCount = result.PromptTokenCount + result.Tokens.Count,
        }));
        var last = Update(contents);
        last.FinishReason = FinishReasonOf(result, calls.Count);
        last.RawRepresentation = result;
        yield return last;
    }
}
