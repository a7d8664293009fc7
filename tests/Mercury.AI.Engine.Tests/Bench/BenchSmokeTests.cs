using System.Diagnostics;
using System.Text.Json;

namespace Mercury.AI.Engine.Tests.Bench;

/// <summary>The benchmark command runs end to end in its smoke mode (no timing is asserted anywhere).</summary>
public class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_run_prints_the_table_and_writes_json_for_every_setting_and_batch()
    {
        string json = Path.Combine(Path.GetTempPath(), $"mercury-bench-{Guid.NewGuid():N}.json");
        try
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "mercury-bench.dll"), "--smoke", "--json", json])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync(); // both at once: a full stderr pipe must not block the run
            // A hang guard, not a timing assertion: under a loaded CI machine the smoke run takes minutes.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); Assert.Fail("bench smoke run timed out"); }
            string output = await stdout, error = await stderr;
            Assert.True(process.ExitCode == 0, output + error);
            Assert.Contains("dual-thr0.9", output);

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(10, rows.Count); // 5 settings x batches 1 and 2
            Assert.All(rows, r => Assert.True(r.GetProperty("tokens_per_second").GetDouble() > 0));
            Assert.Equal(4, rows.Single(r => r.GetProperty("setting").GetString() == "dual-4" && r.GetProperty("batch").GetInt32() == 1)
                .GetProperty("forward_calls").GetInt32());
        }
        finally
        {
            File.Delete(json);
        }
    }
}
