using Mercury.AI.Chat.Decoding;
using Mercury.AI.Chat.Json;
using Mercury.AI.Chat.Tools;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat;

/// <summary>The generations of one chat request, and their usage summed (input and output tokens of every decode).</summary>
internal sealed class GuidedRun(PreparedChat prepared)
{
    public PreparedChat Prepared { get; } = prepared;

    public UsageDetails Usage { get; } = new() { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0 };

    public int Generations { get; private set; }

    public async Task<GenerationResult> GenerateAsync(DecodeLoop loop, GenerationRequest request, CancellationToken cancellationToken)
    {
        var result = await loop.EnqueueAsync(new DecodeJob(request, null, cancellationToken)).ConfigureAwait(false);
        Generations++;
        Usage.InputTokenCount += result.PromptTokenCount;
        Usage.OutputTokenCount += result.Tokens.Count;
        Usage.TotalTokenCount = Usage.InputTokenCount + Usage.OutputTokenCount;
        return result;
    }
}

public sealed partial class DiffusionChatClient
{
    /// <summary>JSON the schema shapes (any object when it gives none): parseable, with every required key.</summary>
    private async Task<ChatResponse> GuidedJsonAsync(PreparedChat prepared, GuidedRun run, DateTimeOffset created, CancellationToken cancellationToken)
    {
        var decoder = new JsonSkeletonDecoder(Segments(run), _logger);
        string json = await decoder.DecodeAsync("", prepared.Json!.Schema, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("JSON output: schema-guided decode in {Generations} generations", run.Generations);
        return Response(json, [], decoder.Exhausted ? ChatFinishReason.Length : ChatFinishReason.Stop, run, created, null);
    }

    /// <summary>The call a required tool mode asks for: the function's name (fixed, or chosen among the declared ones)
    /// and schema-guided arguments.</summary>
    private async Task<ChatResponse> GuidedToolCallAsync(PreparedChat prepared, GuidedRun run, DateTimeOffset created, CancellationToken cancellationToken)
    {
        var segments = Segments(run);
        string name = prepared.RequiredToolName
            ?? await RequiredToolCall.ChooseNameAsync(prepared.Tools, segments, _logger, cancellationToken).ConfigureAwait(false);
        var schema = prepared.Tools.First(t => t.Name == name).JsonSchema;
        var decoder = new JsonSkeletonDecoder(segments, _logger);
        string arguments = await decoder.DecodeAsync(RequiredToolCall.ArgumentsLead(name), schema, cancellationToken).ConfigureAwait(false);
        var (_, calls) = ToolCallParser.Parse(RequiredToolCall.Complete(name, arguments));
        _logger.LogInformation("Required tool call: schema-guided decode of {Name} in {Generations} generations", name, run.Generations);
        return Response("", calls, ChatFinishReason.ToolCalls, run, created, null);
    }

    /// <summary>Segment decodes for the skeleton decoders: the prompt is the request's up to the assistant header plus
    /// the answer so far; the canvas is the segment's, within what is left of the request's answer length and the context.</summary>
    private SegmentDecoder Segments(GuidedRun run) => async (answerSoFar, maxTokens, stops, cancellationToken) =>
    {
        var request = run.Prepared.Request;
        var tokenizer = _backend.Tokenizer;
        var prompt = tokenizer.Encode(run.Prepared.PromptText + answerSoFar);
        int room = Math.Min(maxTokens, request.MaxNewTokens - tokenizer.Encode(answerSoFar).Count);
        room = Math.Min(room, _backend.Config.MaxSequenceLength - prompt.Count);
        if (room < 1) return Segment.None;
        var options = request.Options;
        var result = await run.GenerateAsync(_loop, request with
        {
            PromptTokens = prompt,
            MaxNewTokens = room,
            StopSequences = [.. stops, .. request.StopSequences ?? []],
            Options = options with
            {
                // The request's speed (steps per token) on the segment's canvas; a seeded request stays reproducible.
                Steps = options.Steps is { } steps ? Math.Max(1, (int)Math.Round((double)steps * room / request.MaxNewTokens)) : null,
                Seed = options.Seed is { } seed ? seed + run.Generations : null,
            },
        }, cancellationToken).ConfigureAwait(false);
        return new Segment(result.Text ?? "", false);
    };
}
