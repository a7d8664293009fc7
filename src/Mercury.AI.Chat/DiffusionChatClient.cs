using Mercury.AI.Chat.Decoding;
using Mercury.AI.Chat.Json;
using Mercury.AI.Chat.Templates;
using Mercury.AI.Chat.Tools;
using Mercury.AI.Engine;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Runtime;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Chat;

/// <summary>
/// An <see cref="IChatClient"/> over an in-process masked-diffusion model. Thread-safe: one instance serves any
/// number of concurrent callers by queueing their requests to a single decode loop that batches compatible ones
/// (see <see cref="DiffusionChatClientOptions.QueueCapacity"/> and <see cref="DiffusionChatClientOptions.MaxBatchSize"/>).
/// Register it as a singleton: the model loads once.
/// </summary>
/// <remarks>
/// <see cref="ChatOptions"/> maps to the sampler: <c>MaxOutputTokens</c> is the canvas length, <c>Temperature</c>,
/// <c>TopP</c>, <c>TopK</c> (Dream samplers), <c>Seed</c> and <c>StopSequences</c> are passed on; diffusion knobs come from
/// <see cref="DiffusionChatOptions"/> in <c>AdditionalProperties</c>. Tools are described in the prompt and the model's
/// <c>&lt;tool_call&gt;</c> blocks come back as <see cref="FunctionCallContent"/>; wrap with
/// <c>UseFunctionInvocation()</c> to have them invoked.
/// </remarks>
public sealed partial class DiffusionChatClient : IChatClient
{
    /// <summary>Sampling temperature of JSON-mode retries when the request was greedy (a greedy retry would repeat itself).</summary>
    internal const double JsonRetryTemperature = 0.7;

    private readonly IDiffusionBackend _backend;
    private readonly DiffusionChatClientOptions _options;
    private readonly DecodeLoop _loop;
    private readonly ILogger _logger;
    private readonly ChatClientMetadata _metadata;
    private readonly HashSet<int> _endTokenIds;
    /// <summary>The client's knobs over the model folder's defaults: what a request that sets nothing gets.</summary>
    private readonly DiffusionChatOptions _knobDefaults;
    private readonly int _defaultMaxOutputTokens;
    private readonly double? _defaultTemperature;

    /// <summary>Serves chat over an existing generator (which must have a tokenizer). The model stays the caller's.
    /// <paramref name="generation"/>: the model folder's prompting and decoding defaults
    /// (<see cref="GenerationConfig.Load"/>), which <see cref="Load"/> reads itself.</summary>
    public DiffusionChatClient(DiffusionGenerator generator, DiffusionChatClientOptions? options = null, ILoggerFactory? loggerFactory = null,
        GenerationConfig? generation = null)
        : this(new GeneratorBackend(generator ?? throw new ArgumentNullException(nameof(generator)), ownsModel: false), options, loggerFactory, null, generation)
    {
    }

    internal DiffusionChatClient(IDiffusionBackend backend, DiffusionChatClientOptions? options, ILoggerFactory? loggerFactory,
        string? folderName = null, GenerationConfig? generation = null)
    {
        _backend = backend;
        _options = options?.Clone() ?? new DiffusionChatClientOptions();
        _options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<DiffusionChatClient>();
        Generation = generation ?? GenerationConfig.Empty;
        Template = ChatTemplate.Create(_options.Template, backend.Tokenizer, backend.Config.Architecture, Generation, _options.DefaultSystemPrompt);
        _knobDefaults = _options.Diffusion.Over(ChatOptionsMapper.KnobsOf(Generation));
        _defaultMaxOutputTokens = _options.DefaultMaxOutputTokens ?? Generation.MaxNewTokens ?? DiffusionChatClientOptions.FallbackMaxOutputTokens;
        _defaultTemperature = Generation.Temperature;
        ModelId = _options.ModelId ?? folderName ?? $"mercury-{backend.Config.Architecture.ToString().ToLowerInvariant()}";
        _metadata = new ChatClientMetadata("mercury-diffusion", null, ModelId);
        _endTokenIds = [.. backend.Config.EndTokenIds];
        if (backend.Tokenizer.TokenToId(Template.EndOfTurn) is { } endOfTurn) _endTokenIds.Add(endOfTurn);
        _loop = new DecodeLoop(backend, _options.QueueCapacity, _options.MaxBatchSize, _logger);
        _logger.LogInformation("Serving {ModelId} ({Architecture}) with the {Template} chat template", ModelId, backend.Config.Architecture, Template.Name);
    }

    /// <summary>Loads the model and tokenizer named by <paramref name="options"/> (default: the embedded model).</summary>
    public static DiffusionChatClient Load(DiffusionChatClientOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        options = options?.Clone() ?? new DiffusionChatClientOptions();
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        string folder = options.ModelPath ?? EmbeddedModel.Locate();
        var tokenizer = HuggingFaceTokenizer.FromFile(options.TokenizerPath ?? folder);
        var device = TorchRuntime.ResolveDevice(options.Device, loggerFactory.CreateLogger(typeof(TorchRuntime)));
        var model = ModelLoader.Load(folder, new ModelLoadOptions { Device = device, WeightsFileName = options.WeightsFileName },
            loggerFactory.CreateLogger(typeof(ModelLoader)));
        try
        {
            var generator = new DiffusionGenerator(model, tokenizer, loggerFactory.CreateLogger<DiffusionGenerator>());
            return new DiffusionChatClient(new GeneratorBackend(generator, ownsModel: true), options, loggerFactory,
                new DirectoryInfo(Path.GetFullPath(folder)).Name, GenerationConfig.Load(folder));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reported as <see cref="ChatResponse.ModelId"/>.</summary>
    public string ModelId { get; }

    /// <summary>The prompt format in use.</summary>
    public ChatTemplate Template { get; }

    /// <summary>The model folder's prompting and decoding defaults (empty when the client was built without one).</summary>
    public GenerationConfig Generation { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(messages, options);
        var created = DateTimeOffset.UtcNow;
        var request = prepared.Request;
        var usage = new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0 };
        for (int attempt = 1; ; attempt++)
        {
            var result = await _loop.EnqueueAsync(new DecodeJob(request, null, cancellationToken)).ConfigureAwait(false);
            usage.InputTokenCount += result.PromptTokenCount;
            usage.OutputTokenCount += result.Tokens.Count;
            string text = prepared.AssistantPrefix + result.Text;
            var (answer, calls) = prepared.HasTools ? ToolCallParser.Parse(text) : (text, []);
            calls = prepared.Limit(calls);
            if (prepared.Json is { } json && calls.Count == 0)
            {
                if (JsonOutput.Validate(text, json.Schema, out string? error) is { } valid) answer = valid;
                else if (attempt >= _options.JsonAttempts)
                    throw new DiffusionJsonException($"JSON mode: no valid JSON after {attempt} generation(s); the last was {error}", text);
                else
                {
                    _logger.LogWarning("JSON mode: attempt {Attempt} was {Error}; regenerating with another seed", attempt, error);
                    long seed = (request.Options.Seed ?? Random.Shared.NextInt64(int.MaxValue)) + 1;
                    request = request with
                    {
                        Options = request.Options with { Seed = seed, Temperature = Math.Max(request.Options.Temperature, JsonRetryTemperature) },
                    };
                    continue;
                }
            }
            usage.TotalTokenCount = usage.InputTokenCount + usage.OutputTokenCount;
            var contents = new List<AIContent>();
            if (answer.Length > 0) contents.Add(new TextContent(answer));
            contents.AddRange(calls);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents) { MessageId = NewId("msg") })
            {
                ResponseId = NewId("resp"),
                ModelId = ModelId,
                CreatedAt = created,
                FinishReason = FinishReasonOf(result, calls.Count),
                Usage = usage,
                RawRepresentation = result,
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_backend.Tokenizer)) return _backend.Tokenizer;
        if (serviceType == typeof(ModelConfig)) return _backend.Config;
        if (serviceType == typeof(GenerationConfig)) return Generation;
        if (serviceType.IsInstanceOfType(Template)) return Template;
        return _backend.GetService(serviceType);
    }

    /// <summary>Stops the decode loop (pending requests fail with <see cref="ObjectDisposedException"/>) and frees a model this client loaded.</summary>
    public void Dispose()
    {
        _loop.Dispose();
        _backend.Dispose();
    }

    private static ChatFinishReason FinishReasonOf(GenerationResult result, int toolCalls) =>
        toolCalls > 0 ? ChatFinishReason.ToolCalls : result.FinishReason == DiffusionFinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;

    private static string NewId(string kind) => $"{kind}_{Guid.NewGuid():N}";
}
