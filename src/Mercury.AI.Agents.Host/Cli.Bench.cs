using System.Diagnostics;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Configuration;

namespace Mercury.AI.Agents.Host;

public static partial class Cli
{
    /// <summary>
    /// `bench-store`: the store's own capacity, without models or sandboxes: <c>--jobs</c> N empty jobs, <c>--claimers</c>
    /// K loops that claim, append one iteration and complete at once. Runs in a scratch store (PostgreSQL: schema
    /// mercury_bench, dropped after; SQLite: a temp file), never in the real queue.
    /// </summary>
    private static async Task<int> BenchStoreAsync(IConfiguration configuration, AgentHostOptions options, TextWriter @out, CancellationToken cancellationToken)
    {
        int jobs = int.Parse(configuration["Agents:Bench:Jobs"] ?? "300", System.Globalization.CultureInfo.InvariantCulture);
        int claimers = int.Parse(configuration["Agents:Bench:Claimers"] ?? "6", System.Globalization.CultureInfo.InvariantCulture);
        string scratchFile = Path.Combine(Path.GetTempPath(), $"mercury-bench-{Guid.NewGuid():N}.db");
        bool postgres = configuration["Agents:Store"] is { } s && !s.StartsWith("sqlite", StringComparison.Ordinal);
        var scratch = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Store"] = postgres ? configuration["Agents:Store"] : "sqlite:" + scratchFile,
            ["Agents:Postgres:Schema"] = "mercury_bench",
        }).Build();
        var store = await JobStores.OpenAsync(scratch, options, cancellationToken);
        try
        {
            var spec = JobSpecParser.Parse("""{"language":"python","instruction":"x","tests":[{"name":"test_x.py","content":"def test_x():\n    pass\n"}]}""", LanguageRunners.DefaultLanguages);
            for (int i = 0; i < jobs; i++) await store.EnqueueAsync(spec, cancellationToken);
            var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, claimers).Select(k => Task.Run(async () =>
            {
                while (true)
                {
                    long start = Stopwatch.GetTimestamp();
                    var job = await store.TryFetchAsync($"bench-{k}", TimeSpan.FromMinutes(1), cancellationToken);
                    if (job is null) return;
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    await job.AppendIterationAsync(new IterationRecord
                    {
                        Number = 1, Attempt = 0, Prompt = "p", Reply = "r", Code = "c", Passed = true, TestsPassed = 1, TestsTotal = 1,
                        Feedback = "", OutputTokens = 1, Duration = TimeSpan.Zero,
                    }, cancellationToken);
                    await job.CompleteAsync(JobState.Succeeded, "bench", 1, cancellationToken);
                }
            }, cancellationToken)));
            clock.Stop();
            var sorted = latencies.Order().ToArray();
            double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
            await @out.WriteLineAsync($"store {(postgres ? "postgresql" : "sqlite")}: {jobs} jobs, {claimers} claimers: {jobs / clock.Elapsed.TotalMinutes:0} jobs/min " +
                $"(claim + append + complete); claim latency p50 {P(0.5):0.0} ms, p95 {P(0.95):0.0} ms, p99 {P(0.99):0.0} ms");
            return sorted.Length == jobs ? 0 : 1;
        }
        finally
        {
            if (store is PostgreSql.PostgresJobStore pg) await pg.DropSchemaAsync(CancellationToken.None);
            if (store is IAsyncDisposable d) await d.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { scratchFile, scratchFile + "-wal", scratchFile + "-shm" }) File.Delete(f);
        }
    }
}
