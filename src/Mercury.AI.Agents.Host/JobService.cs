using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.Host;

/// <summary>The operations shared by the CLI and the HTTP API.</summary>
public sealed class JobService(IJobStore store)
{
    public IJobStore Store => store;

    /// <summary>Checks the job file completely, then stores it in one statement: a bad file stores nothing.</summary>
    public async Task<string> SubmitJsonAsync(string json, CancellationToken cancellationToken = default)
    {
        var spec = JobSpecParser.Parse(json, LanguageRunners.DefaultLanguages);
        return await store.EnqueueAsync(spec, cancellationToken).ConfigureAwait(false);
    }

    public async Task<JobView?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null) return null;
        var iterations = await store.GetIterationsAsync(id, cancellationToken).ConfigureAwait(false);
        return JobView.From(job, iterations.Count);
    }

    public async Task<IReadOnlyList<JobView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await store.ListAsync(100, cancellationToken).ConfigureAwait(false)).Select(j => JobView.From(j)).ToList();

    public async Task<IReadOnlyList<IterationView>> IterationsAsync(string id, CancellationToken cancellationToken = default) =>
        (await store.GetIterationsAsync(id, cancellationToken).ConfigureAwait(false)).Select(IterationView.From).ToList();
}
