using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Tests.Decoding;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.Conformance;

/// <summary>The scripted backend: answers replayed as a diffusion would, no engine.</summary>
public sealed class ScriptedBackendConformanceTests : ChatClientConformanceTests
{
    private static readonly Lazy<DiffusionChatClient> s_client = new(() => ScriptedBackend.Client(p => $"You said {p.Length} characters, thank you."));

    protected override IChatClient Client => s_client.Value;

    protected override string Prompt => "Hello there";
}

/// <summary>The real step loop (policies, stop checks, batching) over a model whose logits spell a scripted answer.</summary>
public sealed class ScriptedModelConformanceTests : ChatClientConformanceTests
{
    private static readonly Lazy<DiffusionChatClient> s_client = new(() =>
    {
        var tokenizer = HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"));
        var model = new ScriptedModel(tokenizer, "<|im_start|>assistant\n", prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? "The tool says it is sunny."
            : "def add(a, b):\n    return a + b\n```\nThat adds two numbers.");
        return new DiffusionChatClient(new DiffusionGenerator(model, tokenizer), new DiffusionChatClientOptions { ModelId = "scripted-model" });
    });

    protected override IChatClient Client => s_client.Value;

    protected override string Prompt => "Write add(a, b).";
}

/// <summary>The embedded model (models/mercury-coder-tiny) on CPU, as <c>DiffusionChatClient.Load</c> serves it.</summary>
public sealed class EmbeddedModelConformanceTests : ChatClientConformanceTests
{
    private static readonly Lazy<DiffusionChatClient> s_client = new(() => DiffusionChatClient.Load(new DiffusionChatClientOptions { Device = "cpu" }));

    protected override IChatClient Client => s_client.Value;

    protected override string Prompt => "Write a Python function add(a, b) that returns the sum of a and b.";
}
