using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Tokenization;

namespace Mercury.AI.Training.Tests.Tokenization;

public class BpeTrainerTests
{
    [Fact]
    public void Trained_tokenizer_loads_in_the_engine_and_round_trips_the_corpus()
    {
        var tokenizer = HuggingFaceTokenizer.FromFile(SmallWorld.TokenizerPath);
        Assert.Equal(700, tokenizer.VocabSize);
        for (int i = 0; i < ChatFormat.SpecialTokens.Length; i++) Assert.Equal(i, tokenizer.TokenToId(ChatFormat.SpecialTokens[i]));
        var corpus = SmallWorld.Corpus;
        foreach (var task in corpus.Train.Concat(corpus.HeldOutSeen).Concat(corpus.Unseen))
        {
            string text = Program.Render(task);
            var ids = tokenizer.Encode(text);
            Assert.Equal(text, tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void Special_tokens_encode_whole_and_text_compresses()
    {
        var tokenizer = HuggingFaceTokenizer.FromFile(SmallWorld.TokenizerPath);
        string prompt = SmallWorld.Corpus.Train[0].Prompt;
        var ids = tokenizer.Encode(prompt);
        Assert.Equal(tokenizer.TokenToId(ChatFormat.ImStart), ids[0]);
        Assert.True(ids.Count < prompt.Length / 2, $"{ids.Count} tokens for {prompt.Length} chars");
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var texts = SmallWorld.Corpus.Train.Take(50).Select(Program.Render).ToList();
        var a = BpeTrainer.Train(texts, ChatFormat.SpecialTokens, 400).ToTokenizerJson();
        var b = BpeTrainer.Train(texts, ChatFormat.SpecialTokens, 400).ToTokenizerJson();
        Assert.Equal(a, b);
    }
}
