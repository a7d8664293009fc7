using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Training.Corpus;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Evaluation;

/// <summary>
/// Tasks run as agent-host jobs: the host's generate → test → refine loop (compact prompt style, the embedded
/// model's), its default budget, visible tests shown and hidden tests kept back. A task passes when the loop ends
/// with every test passing, at whatever iteration.
/// </summary>
public static class AgentEvaluation
{
    public static async Task<GroupResult> RunAsync(string group, List<CorpusExample> tasks, IChatClient model, LanguageRunners runners, string work,
        TextWriter log, CancellationToken cancellationToken)
    {
        int iterations = 0;
        List<string> passed = [], failures = [];
        var loop = new AgentLoop(new AgentCoder(model, Prompts.CompactInstructions), runners, style: PromptStyle.Compact);
        foreach (var task in tasks)
        {
            var spec = new JobSpec { Language = task.Language, Instruction = task.Instruction, Tests = task.Tests, HiddenTests = task.HiddenTests };
            var done = new List<IterationRecord>();
            var outcome = await loop.RunAsync(spec, [], (it, _) => { done.Add(it); return Task.CompletedTask; },
                Path.Combine(work, task.Id), null, cancellationToken);
            iterations += done.Count;
            if (outcome.Succeeded) passed.Add(task.Id);
            else failures.Add($"{task.Id} {task.Composition}: {outcome.Reason}");
            log.WriteLine($"    {task.Id}: {(outcome.Succeeded ? "passed" : "failed")} after {done.Count} iteration(s)");
        }
        var result = GroupResult.Of(group, tasks.Count, passed, failures);
        log.WriteLine($"  {group}: {passed.Count}/{tasks.Count} ({result.PassRate:P0}), {iterations} iterations in all");
        return result;
    }
}
