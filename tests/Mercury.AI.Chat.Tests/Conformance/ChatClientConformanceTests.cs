using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Mercury.AI.Chat.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat.Tests.Conformance;

/// <summary>
/// What every <see cref="IChatClient"/> of this provider owes its callers, whatever model is behind it: the contract
/// points of Microsoft.Extensions.AI's own <c>ChatClientIntegrationTests</c> that do not depend on what the model knows
/// (roles, ids, usage, streaming = non-streaming, appending to the history, cancellation, options honoured, function
/// invocation, caching, logging, OpenTelemetry). Each subclass supplies a client; every check is model-independent:
/// where an answer's content matters, it is compared with the same client's own unconstrained answer, or the option
/// makes the shape structural (a required tool call, a JSON schema).
/// </summary>
public abstract class ChatClientConformanceTests
{
    /// <summary>The client under test, shared by the subclass's tests (the model loads once); never disposed by them.</summary>
    protected abstract IChatClient Client { get; }

    /// <summary>A user message the model answers with some text.</summary>
    protected abstract string Prompt { get; }

    private static ChatOptions Greedy(int maxTokens = 48) => new() { MaxOutputTokens = maxTokens, Temperature = 0 };

    /// <summary>A pipeline over the shared client that leaves it undisposed.</summary>
    private ChatClientBuilder Builder() => new NonDisposingChatClient(Client).AsBuilder();

    private static readonly AIFunction Weather = AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather", "Gets the weather in a city.");

    [Fact]
    public async Task Answers_as_the_assistant_with_ids_model_and_usage()
    {
        var response = await Client.GetResponseAsync(Prompt, Greedy());
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.False(string.IsNullOrEmpty(response.ResponseId));
        Assert.False(string.IsNullOrEmpty(message.MessageId));
        Assert.Equal(Client.GetService<ChatClientMetadata>()!.DefaultModelId, response.ModelId);
        Assert.NotNull(response.CreatedAt);
        Assert.NotNull(response.FinishReason);
        Assert.True(response.Usage!.InputTokenCount > 1);
        Assert.InRange(response.Usage.OutputTokenCount!.Value, 1, 48);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.NotEmpty(response.Text);
    }

    [Fact]
    public async Task Streaming_gives_the_non_streamed_answer_in_updates_of_one_response()
    {
        var whole = await Client.GetResponseAsync(Prompt, Greedy());
        var updates = await Client.GetStreamingResponseAsync(Prompt, Greedy()).ToListAsync();

        Assert.True(updates.Count > 1);
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.Single(updates.Select(u => u.MessageId).Distinct());
        var streamed = updates.ToChatResponse();
        Assert.Equal(whole.Text, streamed.Text);
        Assert.Equal(whole.FinishReason, streamed.FinishReason);
        var usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(whole.Usage!.OutputTokenCount, usage.Details.OutputTokenCount);
        Assert.Equal(usage.Details.InputTokenCount + usage.Details.OutputTokenCount, usage.Details.TotalTokenCount);
    }

    [Fact]
    public async Task Responses_append_to_the_history_as_one_assistant_message()
    {
        List<ChatMessage> history = [new(ChatRole.User, Prompt)];
        history.AddMessages(await Client.GetResponseAsync(history, Greedy()));
        await history.AddMessagesAsync(Client.GetStreamingResponseAsync(history, Greedy()));

        Assert.Equal(3, history.Count);
        Assert.All(history.Skip(1), m => Assert.Equal(ChatRole.Assistant, m.Role));
        var text = Assert.Single(history[2].Contents.OfType<TextContent>());
        Assert.Equal(history[2].Text, text.Text);
    }

    [Fact]
    public async Task Cancellation_is_honoured_before_and_during_a_request()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.GetResponseAsync(Prompt, cancellationToken: new CancellationToken(true)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Client.GetStreamingResponseAsync(Prompt, cancellationToken: new CancellationToken(true))) { }
        });
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Client.GetStreamingResponseAsync(Prompt, Greedy(), cts.Token)) cts.Cancel();
        });
        Assert.NotEmpty((await Client.GetResponseAsync(Prompt, Greedy())).Text); // and the client goes on serving
    }

    [Fact]
    public async Task Null_messages_are_rejected_and_the_metadata_names_provider_and_model()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.GetResponseAsync((IEnumerable<ChatMessage>)null!));
        var metadata = Client.GetService<ChatClientMetadata>();
        Assert.Equal("mercury-diffusion", metadata?.ProviderName);
        Assert.False(string.IsNullOrEmpty(metadata?.DefaultModelId));
    }

    [Fact]
    public async Task Stop_sequences_end_the_text_where_they_start_streamed_and_not()
    {
        string full = (await Client.GetResponseAsync(Prompt, Greedy())).Text;
        Assert.True(full.Length >= 4, $"the prompt must get some text to cut: '{full}'");
        string stop = full.Substring(full.Length / 2, Math.Min(3, full.Length - full.Length / 2));
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = Greedy();
        options.StopSequences = [stop];

        var response = await Client.GetResponseAsync(Prompt, options);
        var streamed = await Client.GetStreamingResponseAsync(Prompt, options).ToListAsync();

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(expected, streamed.ToChatResponse().Text);
    }

    [Fact]
    public async Task Max_output_tokens_bounds_the_answer()
    {
        var response = await Client.GetResponseAsync(Prompt, Greedy(maxTokens: 3));
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 0, 3);
        Assert.Contains(response.FinishReason, new ChatFinishReason?[] { ChatFinishReason.Length, ChatFinishReason.Stop });
    }

    [Fact]
    public async Task Greedy_and_seeded_sampling_repeat_themselves()
    {
        Assert.Equal((await Client.GetResponseAsync(Prompt, Greedy())).Text, (await Client.GetResponseAsync(Prompt, Greedy())).Text);
        ChatOptions Seeded() => new() { MaxOutputTokens = 48, Temperature = 1, Seed = 42 };
        Assert.Equal((await Client.GetResponseAsync(Prompt, Seeded())).Text, (await Client.GetResponseAsync(Prompt, Seeded())).Text);
    }

    [Fact]
    public async Task Concurrent_requests_get_the_answers_they_get_alone()
    {
        var alone = (await Client.GetResponseAsync(Prompt, Greedy())).Text;
        var together = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Client.GetResponseAsync(Prompt, Greedy())));
        Assert.All(together, r => Assert.Equal(alone, r.Text));
    }

    [Fact]
    public async Task Required_tool_modes_always_answer_with_a_call_whose_arguments_fit()
    {
        foreach (var mode in new[] { ChatToolMode.RequireSpecific("get_weather"), ChatToolMode.RequireAny })
        {
            var options = Greedy(64);
            (options.Tools, options.ToolMode) = ([Weather], mode);
            var response = await Client.GetResponseAsync(Prompt, options);
            var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
            Assert.Equal("get_weather", call.Name);
            Assert.Null(call.Exception);
            Assert.Equal(JsonValueKind.String, Assert.IsType<JsonElement>(call.Arguments!["city"]).ValueKind);
            Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        }
        var none = Greedy();
        (none.Tools, none.ToolMode) = ([Weather], ChatToolMode.None);
        Assert.Empty((await Client.GetResponseAsync(Prompt, none)).Messages[0].Contents.OfType<FunctionCallContent>());
    }

    [Fact]
    public async Task Json_schema_output_parses_with_every_required_key()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"name":{"type":"string"},"count":{"type":"integer"},"ok":{"type":"boolean"}},"required":["name","count","ok"]}
            """).RootElement;
        var response = await Client.GetResponseAsync(Prompt, new ChatOptions { MaxOutputTokens = 64, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema) });
        Assert.Null(JsonOutput.Validate(response.Text, schema, out string? error) is null ? error : null);

        var typed = await Client.GetResponseAsync<Reading>(Prompt, new ChatOptions { MaxOutputTokens = 64 });
        Assert.NotNull(typed.Result);
    }

    public sealed record Reading(string Sensor, double Value);

    [Fact]
    public async Task Function_invocation_runs_the_required_tool_and_feeds_its_result_back()
    {
        int invoked = 0;
        var tool = AIFunctionFactory.Create((string city) => { invoked++; return $"Sunny in {city}"; }, "get_weather");
        using var client = Builder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync(Prompt, new ChatOptions { Tools = [tool], ToolMode = ChatToolMode.RequireAny, MaxOutputTokens = 48 });

        Assert.Equal(1, invoked);
        Assert.Equal([ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], response.Messages.Select(m => m.Role));
        var result = Assert.Single(response.Messages[1].Contents.OfType<FunctionResultContent>());
        Assert.Equal(response.Messages[0].Contents.OfType<FunctionCallContent>().Single().CallId, result.CallId);
    }

    [Fact]
    public async Task The_distributed_cache_answers_a_repeated_request_without_decoding()
    {
        int calls = 0;
        using var client = Builder()
            .UseDistributedCache(new MemoryDistributedCache(Microsoft.Extensions.Options.Options.Create(new MemoryDistributedCacheOptions())))
            .Use((messages, options, next, ct) => { Interlocked.Increment(ref calls); return next(messages, options, ct); })
            .Build();

        var first = await client.GetResponseAsync(Prompt, Greedy());
        var second = await client.GetResponseAsync(Prompt, Greedy());
        string streamedFirst = (await client.GetStreamingResponseAsync(Prompt, Greedy()).ToListAsync()).ToChatResponse().Text;
        string streamedSecond = (await client.GetStreamingResponseAsync(Prompt, Greedy()).ToListAsync()).ToChatResponse().Text;

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(streamedFirst, streamedSecond);
        Assert.Equal(first.Text, streamedFirst);
        Assert.Equal(2, calls); // one decode each for the first non-streamed and the first streamed request
    }

    [Fact]
    public async Task Logging_records_the_request_and_the_answer()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var client = Builder().UseLogging(factory).Build();

        var response = await client.GetResponseAsync(Prompt, Greedy());
        await foreach (var _ in client.GetStreamingResponseAsync(Prompt, Greedy())) { }

        string prompt = JsonSerializer.Serialize(Prompt, AIJsonUtilities.DefaultOptions)[1..^1];
        string answer = JsonSerializer.Serialize(response.Text, AIJsonUtilities.DefaultOptions)[1..^1];
        Assert.Contains(logs.Messages, m => m.Contains("GetResponseAsync invoked", StringComparison.Ordinal) && m.Contains(prompt, StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("GetResponseAsync completed", StringComparison.Ordinal) && m.Contains(answer, StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("GetStreamingResponseAsync invoked", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("GetStreamingResponseAsync completed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenTelemetry_emits_a_chat_span_and_token_metrics()
    {
        string source = Guid.NewGuid().ToString();
        var spans = new List<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);
        var measurements = new List<(string Instrument, double Value)>();
        using var meters = new MeterListener { InstrumentPublished = (i, l) => { if (i.Meter.Name == source) l.EnableMeasurementEvents(i); } };
        meters.SetMeasurementEventCallback<int>((i, v, _, _) => { lock (measurements) measurements.Add((i.Name, v)); });
        meters.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (measurements) measurements.Add((i.Name, v)); });
        meters.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (measurements) measurements.Add((i.Name, v)); });
        meters.Start();
        using var client = Builder().UseOpenTelemetry(sourceName: source).Build();

        var response = await client.GetResponseAsync(Prompt, Greedy());

        var span = Assert.Single(spans);
        Assert.StartsWith("chat", span.DisplayName);
        Assert.Equal(response.ResponseId, span.GetTagItem("gen_ai.response.id"));
        Assert.Equal((int)response.Usage!.InputTokenCount!, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal((int)response.Usage.OutputTokenCount!, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.True(span.Duration > TimeSpan.Zero);
        Assert.Contains(measurements, m => m.Instrument == "gen_ai.client.operation.duration" && m.Value > 0);
        Assert.Contains(measurements, m => m.Instrument == "gen_ai.client.token.usage" && m.Value == response.Usage.InputTokenCount);
    }
}

/// <summary>Leaves the shared client alive when a test's pipeline is disposed.</summary>
internal sealed class NonDisposingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    protected override void Dispose(bool disposing)
    {
    }
}

/// <summary>Collects formatted log messages, and hands each to <paramref name="onMessage"/> as it is written.</summary>
internal sealed class ListLoggerProvider(Action<string>? onMessage = null) : ILoggerProvider
{
    private readonly List<string> _messages = [];
    private readonly Action<string>? _onMessage = onMessage;

    public IReadOnlyList<string> Messages { get { lock (_messages) return [.. _messages]; } }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string message = formatter(state, exception);
            lock (owner._messages) owner._messages.Add(message);
            owner._onMessage?.Invoke(message);
        }
    }
}
