using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;

namespace Mercury.AI.Engine.Tests.Decoding;

public class AutoregressiveBaselineTests
{
    [Theory]
    [InlineData("llada-tiny")]
    [InlineData("dream-tiny")]
    public void Cached_baseline_equals_a_plain_greedy_loop_over_full_causal_forwards(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Path(fixture));
        int[][] prompts = [[375, 478, 75, 191, 191, 381, 335, 126], [5, 6, 7, 8, 9, 10, 11, 12]];
        var generator = new AutoregressiveGenerator(model);
        var cached = generator.Generate(prompts, 12, useCache: true);
        var plain = generator.Generate(prompts, 12, useCache: false);
        Assert.Equal(plain, cached);
        Assert.All(cached, row => Assert.Equal(12, row.Length));
    }
}
