using Mercury.AI.Chat.Templates;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.Templates;

public class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You are terse."),
        new(ChatRole.User, "  Hi!  "),
        new(ChatRole.Assistant, "Hello."),
        new(ChatRole.User, "2+2?"),
    ];

    [Fact]
    public void LLaDA_template_renders_header_and_eot_turns_with_trimmed_content_after_the_bos()
    {
        string text = new LLaDAChatTemplate().Render(Conversation);
        Assert.Equal(
            "<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Dream_template_adds_its_default_system_prompt_when_the_conversation_has_none()
    {
        var template = ChatTemplate.Create(ChatTemplateKind.Dream, null, ModelArchitecture.Dream);
        string text = template.Render([new ChatMessage(ChatRole.User, "Hi")]);
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n" +
            "<|im_start|>assistant\n", text);
    }

    [Fact]
    public void ChatML_template_renders_multi_turn_history_and_appends_instructions_to_the_system_prompt()
    {
        string text = new ChatMLTemplate().Render(Conversation, new ChatTemplateContext { Instructions = "Answer in French." });
        Assert.Equal(
            "<|im_start|>system\nYou are terse.\n\nAnswer in French.<|im_end|>\n" +
            "<|im_start|>user\n  Hi!  <|im_end|>\n" +
            "<|im_start|>assistant\nHello.<|im_end|>\n" +
            "<|im_start|>user\n2+2?<|im_end|>\n" +
            "<|im_start|>assistant\n", text);
    }

    [Fact]
    public void ChatML_template_without_system_message_or_default_has_no_system_turn()
    {
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", new ChatMLTemplate().Render([new ChatMessage(ChatRole.User, "Hi")]));
    }

    [Fact]
    public void Tools_are_described_qwen_style_and_calls_and_results_render_back_into_the_template()
    {
        var tool = AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Gets the weather.");
        ChatMessage[] messages =
        [
            new(ChatRole.User, "Weather in Paris?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny")]),
        ];
        string text = new ChatMLTemplate().Render(messages, new ChatTemplateContext { Tools = [tool] });
        Assert.Equal(
            "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Gets the weather.\",\"parameters\":" + tool.JsonSchema.GetRawText() + "}}\n" +
            "</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Consecutive_tool_results_share_one_user_turn()
    {
        ChatMessage[] messages =
        [
            new(ChatRole.Tool, [new FunctionResultContent("a", "1")]),
            new(ChatRole.Tool, [new FunctionResultContent("b", new { Value = 2 })]),
        ];
        string text = new ChatMLTemplate().Render(messages, new ChatTemplateContext { AddGenerationPrompt = false });
        Assert.Equal("<|im_start|>user\n<tool_response>\n1\n</tool_response>\n<tool_response>\n{\"value\":2}\n</tool_response><|im_end|>\n", text);
    }

    [Fact]
    public void Assistant_prefix_is_placed_after_the_generation_prompt()
    {
        string text = new ChatMLTemplate().Render([new ChatMessage(ChatRole.User, "x")], new ChatTemplateContext { AssistantPrefix = "{" });
        Assert.EndsWith("<|im_start|>assistant\n{", text);
    }

    [Fact]
    public void Image_content_is_rejected_with_a_clear_error()
    {
        var message = new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")]);
        var e = Assert.Throws<NotSupportedException>(() => new ChatMLTemplate().Render([message]));
        Assert.Contains("text only", e.Message);
    }

    [Fact]
    public void Auto_detection_reads_the_tokenizer_special_tokens()
    {
        var chatml = HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"));
        Assert.Equal(ChatTemplateKind.ChatML, ChatTemplate.Detect(chatml, ModelArchitecture.LLaDA));
        Assert.Equal(ChatTemplateKind.ChatML, ChatTemplate.Detect(chatml, ModelArchitecture.Dream)); // small vocab: the project's own model, not Dream
        var llada = HuggingFaceTokenizer.FromJson(File.ReadAllText(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"))
            .Replace("<|im_start|>", "<|start_header_id|>", StringComparison.Ordinal));
        Assert.Equal(ChatTemplateKind.LLaDA, ChatTemplate.Detect(llada, ModelArchitecture.LLaDA));
        var neither = HuggingFaceTokenizer.FromJson(File.ReadAllText(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"))
            .Replace("<|im_start|>", "<|foo|>", StringComparison.Ordinal));
        Assert.Contains("DiffusionChatClientOptions.Template", Assert.Throws<InvalidOperationException>(() => ChatTemplate.Detect(neither, ModelArchitecture.LLaDA)).Message);
    }
}
