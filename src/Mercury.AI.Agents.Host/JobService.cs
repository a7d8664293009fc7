using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.Host;

/// <summary>The operations shared by the CLI and the HTTP API.</summary>
public sealed class JobService(IJobStore store)
{
    public IJobStore Store => store;

    /// <summary>Checks the job file completely, then stores it in one statement: a bad file stores nothing. A workspace
    /// job's files come inline (the HTTP API).</summary>
    public Task<string> SubmitJsonAsync(string json, CancellationToken cancellationToken = default) => SubmitJsonAsync(json, null, cancellationToken);

    /// <summary>As <see cref="SubmitJsonAsync(string, CancellationToken)"/>, with a workspace job's <c>path</c> and
    /// <c>hiddenPath</c> folders packed from <paramref name="baseDirectory"/>, the job file's folder (the CLI).</summary>
    public async Task<string> SubmitJsonAsync(string json, string? baseDirectory, CancellationToken cancellationToken = default)
    {
        var spec = JobSpecParser.Parse(json, LanguageRunners.DefaultLanguages, baseDirectory);
        return await store.EnqueueAsync(spec, cancellationToken).ConfigureAwait(false);
    }

    public async Task<JobView?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null) return null;
        var iterations = await store.GetIterationsAsync(id, cancellationToken).ConfigureAwait(false);
        var steps = job.Spec.Workspace is null ? null : await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false);
        return JobView.From(job, iterations.Count, steps?.Count);
    }

    public async Task<IReadOnlyList<JobView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await store.ListAsync(100, cancellationToken).ConfigureAwait(false)).Select(j => JobView.From(j)).ToList();

    public async Task<IReadOnlyList<StepView>> StepsAsync(string id, CancellationToken cancellationToken = default) =>
        (await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false)).Select(StepView.From).ToList();

    /// <summary>A workspace job's result: its patch against the original files (so far, while it runs) and its final
    /// check, if it has one. Null when there is no such job; <see cref="InvalidOperationException"/> for a function job.</summary>
    public async Task<WorkspaceResultView?> WorkspaceResultAsync(string id, CancellationToken cancellationToken = default)
    {
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null) return null;
        if (job.Spec.Workspace is null) throw new InvalidOperationException($"job {id} is a function job; its result is the best code (show {id})");
        var steps = await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false);
        return WorkspaceResultView.From(job, steps);
    }

    public async Task<IReadOnlyList<IterationView>> IterationsAsync(string id, CancellationToken cancellationToken = default) =>
        (await store.GetIterationsAsync(id, cancellationToken).ConfigureAwait(false)).Select(IterationView.From).ToList();
}
