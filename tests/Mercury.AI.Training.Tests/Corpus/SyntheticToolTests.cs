using System.Text.Json;
using Mercury.AI.Chat;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Corpus.Tools;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Tests.Corpus;

public class SyntheticToolTests
{
    private static readonly List<ToolSpec> TrainCatalog = [.. ToolCatalog.All.Where(t => !ToolCatalog.HeldOut.Contains(t.Name))];

    private static string Render(CapturedTurn turn) =>
        DiffusionChatClient.RenderPrompt(ChatFormat.Template(ChatFormat.Recipe), turn.Messages, turn.Options);

    /// <summary>A catalog function described by its parameters instead of its lambda.</summary>
    private static ToolSpec Declared(ToolSpec spec) => spec with
    {
        Method = null, Declared = spec.Parameters, Body = arguments => (string)spec.Method!.DynamicInvoke(
            [.. spec.Method.Method.GetParameters().Select(p => p.ParameterType == typeof(int)
                ? (object)int.Parse(arguments[p.Name!]!.ToString()!, System.Globalization.CultureInfo.InvariantCulture) : arguments[p.Name!]!.ToString()!)])!,
    };

    [Theory]
    [InlineData(ToolStack.ExtensionsAI)]
    [InlineData(ToolStack.SemanticKernel)]
    public async Task A_declared_tool_reaches_the_model_exactly_as_the_same_typed_lambda_does(ToolStack stack)
    {
        foreach (var spec in TrainCatalog.Where(t => t.Name is "send_email" or "add" or "get_weather"))
        {
            var typed = await ToolTasks.PlayAsync(spec, [spec], stack, new Random(3));
            var declared = await ToolTasks.PlayAsync(Declared(spec), [Declared(spec)], stack, new Random(3));
            Assert.Equal(Render(typed.CallTurn), Render(declared.CallTurn));
            Assert.Equal(Render(typed.AnswerTurn), Render(declared.AnswerTurn));
            Assert.Equal(typed.FinalAnswer, declared.FinalAnswer);
        }
    }

    [Theory]
    [InlineData(ToolStack.ExtensionsAI)]
    [InlineData(ToolStack.SemanticKernel)]
    public async Task A_made_up_tool_is_declared_called_and_invoked_through_the_real_stack(ToolStack stack)
    {
        var r = new Random(11);
        for (int i = 0; i < 20; i++)
        {
            var (target, declared) = SyntheticTools.Draw(r, 4, TrainCatalog);
            var x = await ToolTasks.PlayAsync(target, declared, stack, r);
            string prompt = Render(x.CallTurn);
            string signature = $"{x.CalledName}({string.Join(", ", target.Parameters.Select(p => $"{p.Name}: {(p.IsInteger ? "integer" : "string")}"))}) - {target.Description}";
            Assert.Contains(signature, prompt);
            // The request carries every argument value the call must copy.
            var arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(x.Arguments))!;
            Assert.Equal(target.Parameters.Select(p => p.Name), arguments.Keys);
            Assert.All(arguments.Values, v => Assert.Contains(v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText(), x.Request));
            Assert.Contains($"\"name\": \"{x.CalledName}\"", x.CallAnswer);
            // The stack invoked the function and sent its result back; the answer reports it.
            string result = target.Body!(arguments.ToDictionary(a => a.Key, a => (object?)a.Value));
            Assert.Contains(result, Render(x.AnswerTurn));
            Assert.Contains(result, x.FinalAnswer);
        }
    }

    [Fact]
    public void Distractors_share_the_targets_action_or_thing_and_held_out_catalog_tools_never_appear()
    {
        var r = new Random(5);
        int sharing = 0, made = 0;
        for (int i = 0; i < 500; i++)
        {
            var (target, declared) = SyntheticTools.Draw(r, 5, TrainCatalog);
            Assert.Equal(5, declared.Count);
            Assert.Single(declared, d => d.Name == target.Name);
            Assert.Equal(declared.Count, declared.Select(d => d.Name).Distinct().Count());
            Assert.DoesNotContain(declared, d => ToolCatalog.HeldOut.Contains(d.Name) || ToolCatalog.HeldOut.Contains(d.SkName));
            Assert.DoesNotContain(ToolCatalog.All, c => c.Name == target.Name || c.Plugin == target.Plugin);
            string verb = target.Name[..target.Name.IndexOf('_')], thing = target.Name[(target.Name.IndexOf('_') + 1)..].TrimEnd('s');
            foreach (var other in declared.Where(d => d != target && d.Method is null))
            {
                made++;
                if (other.Name.StartsWith(verb + "_", StringComparison.Ordinal) || other.Name.TrimEnd('s').EndsWith("_" + thing, StringComparison.Ordinal)) sharing++;
            }
        }
        Assert.True(sharing > made / 2, $"{sharing} of {made} made-up distractors share the action or the thing");
    }

    [Fact]
    public void Lookups_ask_for_a_property_of_one_or_two_values_beside_other_properties()
    {
        var r = new Random(2);
        var lookups = Enumerable.Range(0, 300).Select(_ => SyntheticTools.Draw(r, 5, TrainCatalog))
            .Where(d => d.Target.Description.StartsWith("Gets the ", StringComparison.Ordinal) && d.Target.Requests[0].EndsWith('?')).ToList();
        Assert.InRange(lookups.Count, 60, 180);
        Assert.Contains(lookups, d => d.Target.Parameters.Count == 2);
        Assert.All(lookups, d => Assert.Equal(5, d.Declared.Count));
        // Most distractors are lookups too, so the property and the entity decide the call, not the shape.
        Assert.True(lookups.Average(d => d.Declared.Count(t => t.Method is null && t.Description.StartsWith("Gets the ", StringComparison.Ordinal))) > 3);
    }

    [Fact]
    public void The_same_seed_makes_the_same_tools()
    {
        static string Draw(int seed)
        {
            var (target, declared) = SyntheticTools.Draw(new Random(seed), 3, TrainCatalog);
            return string.Join("|", declared.Select(d => $"{d.Name}/{d.Description}/{string.Join(",", d.Parameters.Select(p => p.Name))}")) + target.Requests[0];
        }
        Assert.Equal(Draw(9), Draw(9));
        Assert.NotEqual(Draw(9), Draw(10));
    }
}
