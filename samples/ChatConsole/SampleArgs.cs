using Mercury.AI.Chat;

/// <summary>Command line shared by the samples: <c>[model-folder] [--tokenizer PATH] [--device cpu|cuda|auto] [--max-tokens N] [--steps N]</c>.
/// Without a model folder the embedded model (models/mercury-coder-tiny, or MERCURY_MODEL_PATH) is used.</summary>
internal static class SampleArgs
{
    public static DiffusionChatClientOptions Parse(string[] args, out HashSet<string> flags)
    {
        var options = new DiffusionChatClientOptions { DefaultMaxOutputTokens = 64 };
        flags = [];
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--tokenizer": options.TokenizerPath = Value(); break;
                case "--device": options.Device = Value(); break;
                case "--max-tokens": options.DefaultMaxOutputTokens = int.Parse(Value()); break;
                case "--steps": options.Diffusion.Steps = int.Parse(Value()); break;
                case var flag when flag.StartsWith("--", StringComparison.Ordinal): flags.Add(flag); break;
                default: options.ModelPath = args[i]; break;
            }
        }
        return options;
    }
}
