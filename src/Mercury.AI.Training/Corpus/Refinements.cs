using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Training.Corpus.Programs;

namespace Mercury.AI.Training.Corpus;

/// <summary>
/// Refinement turns as the agent host writes them (<see cref="Prompts.CompactFeedback"/>): a wrong version of a task's
/// function is run against the task's tests in the real sandboxed runner, and the failure it really prints goes into
/// the prompt; the answer is the correct code.
/// </summary>
public static class Refinements
{
    /// <summary>The refinement prompt for <paramref name="task"/>, or null when no wrong version fails its tests.</summary>
    public static async Task<string?> PromptAsync(FunctionTask task, LanguageRunners runners, string workFolder, Random r, CancellationToken cancellationToken)
    {
        if (task.Program is not Pipeline pipeline) return null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (pipeline.Mutate(r) is not { } wrong) continue;
            string code = wrong.Code(task.Lang, task.Name, task.ClassName, task.Arrays);
            if (code == task.Code) continue;
            var runner = runners.Get(Values.Tag(task.Lang));
            string dir = Path.Combine(workFolder, Guid.NewGuid().ToString("N"));
            var visible = await runner.RunAsync(code, task.Tests, Path.Combine(dir, "visible"), cancellationToken).ConfigureAwait(false);
            TestRunResult? hidden = null;
            if (visible.Passed) hidden = await runner.RunAsync(code, task.HiddenTests, Path.Combine(dir, "hidden"), cancellationToken).ConfigureAwait(false);
            if (visible.Passed && hidden!.Passed) continue; // the slip happens not to matter on these tests
            var spec = new JobSpec { Language = Values.Tag(task.Lang), Instruction = task.Instruction, Tests = task.Tests, HiddenTests = task.HiddenTests };
            return Prompts.CompactFeedback(spec, runner, code, visible, hidden);
        }
        return null;
    }
}
