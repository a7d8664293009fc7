using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Models;

public class TrainableForwardTests
{
    [Theory]
    [InlineData(ModelArchitecture.LLaDA)]
    [InlineData(ModelArchitecture.Dream)]
    public void Trainable_model_backpropagates_through_the_engine_forward(ModelArchitecture architecture)
    {
        var config = OpBudgetTests.Config(architecture, layers: 2);
        using var model = ModelLoader.Create(config, new ModelBuildOptions { Trainable = true });
        using (no_grad())
            foreach (var p in model.parameters()) p.normal_(0, 0.02);
        using var ids = randint(0, 120, [2, 16], dtype: ScalarType.Int64);
        using var logits = model.Forward(ids);
        using var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), ids.view(-1));
        loss.backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }
}
