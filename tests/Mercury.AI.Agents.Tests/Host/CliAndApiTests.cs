using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mercury.AI.Agents.Host;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Tests.Host;

public sealed class CliAndApiTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-cli");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private static string SamplesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "samples", "tasks"))) return Path.Combine(dir.FullName, "samples", "tasks");
        throw new DirectoryNotFoundException("samples/tasks");
    }

    private async Task<(int Code, string Output)> Cli(params string[] args)
    {
        var output = new StringWriter();
        int code = await Mercury.AI.Agents.Host.Cli.RunAsync([.. args, "--data", _dir.Path], output);
        return (code, output.ToString());
    }

    private async Task<int> StoredJobs() => (await new SqliteJobStore(_dir.Combine("jobs.db")).ListAsync()).Count;

    public static TheoryData<string, string> BadJobs => new()
    {
        { "{ not json", "not valid job JSON" },
        { """{"language":"cobol","instruction":"x","tests":[{"name":"t","content":"x"}]}""", "unknown language 'cobol'" },
        { """{"language":"python","instruction":"x","tests":[]}""", "at least one visible test" },
        { """{"language":"python","instruction":"x","tests":[{"name":"../evil.py","content":"x"}]}""", "plain file name" },
        { """{"language":"python","instruction":"x","tests":[{"name":"t.py","content":"x"}],"budget":{"maxIterations":0}}""", "budget.maxIterations is 0" },
        { """{"language":"python","instruction":"x","tests":[{"name":"t.py","content":"x"}],"surprise":1}""", "surprise" },
        { "{\"language\":\"python\",\"instruction\":\"" + new string('x', 40_000) + "\",\"tests\":[{\"name\":\"t.py\",\"content\":\"x\"}]}", "instruction is 40000 characters" },
        // Issue 14, items 14 and 16: explicit nulls and names no file system takes are refused here, not in the worker.
        { """{"language":"python","instruction":"x","tests":[{"name":"t.py","content":"x"}],"budget":null}""", "budget is null" },
        { """{"language":"python","instruction":"x","tests":[{"name":"t.py","content":"x"}],"hiddenTests":null}""", "hiddenTests is null" },
        { """{"language":"python","instruction":"x","tests":[{"name":"t\u0000.py","content":"x"}]}""", "control characters" },
        { """{"language":"python","instruction":"x","tests":[{"name":"t\n.py","content":"x"}]}""", "control characters" },
        { """{"language":"python","instruction":"x","tests":[{"name":"\ud800.py","content":"x"}]}""", "not valid job JSON" }, // a lone surrogate
        { "{\"language\":\"python\",\"instruction\":\"x\",\"tests\":[{\"name\":\"" + new string('é', 128) + ".py\",\"content\":\"x\"}]}", "259 bytes of UTF-8" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public async Task Bad_job_files_are_refused_with_a_clear_error_and_nothing_is_stored(string json, string expected)
    {
        string path = _dir.Combine("job.json");
        File.WriteAllText(path, json);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var (code, _) = await Cli("submit", path);
            Assert.Equal(2, code);
        }
        finally { Console.SetError(original); }
        Assert.Contains(expected, error.ToString());
        Assert.Equal(0, await StoredJobs());
    }

    [Fact]
    public async Task Run_refuses_a_null_budget_before_it_queues_anything()
    {
        string path = _dir.Combine("job.json");
        File.WriteAllText(path, """{"language":"python","instruction":"x","tests":[{"name":"t.py","content":"x"}],"budget":null}""");
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try { (code, _) = await Cli("run", path, "--chat", "replay:/nonexistent.json"); }
        finally { Console.SetError(original); }
        Assert.Equal(2, code);
        Assert.Contains("budget is null", error.ToString());
        Assert.DoesNotContain("NullReferenceException", error.ToString());
        Assert.Equal(0, await StoredJobs());
    }

    [Fact]
    public async Task Oversize_job_file_is_refused_before_it_is_read()
    {
        string path = _dir.Combine("big.json");
        File.WriteAllText(path, new string(' ', JobSpecParser.MaxFileBytes + 10));
        var (code, _) = await Cli("submit", path);
        Assert.Equal(2, code);
        Assert.Equal(0, await StoredJobs());
    }

    [Fact]
    public async Task Every_sample_job_is_valid_and_there_is_one_per_language()
    {
        var specs = new List<JobSpec>();
        foreach (var file in Directory.GetFiles(SamplesFolder(), "*.json"))
            specs.Add(JobSpecParser.Parse(File.ReadAllText(file), LanguageRunners.DefaultLanguages));
        Assert.Equal(LanguageRunners.DefaultLanguages.Order(), specs.Select(s => s.Language).Distinct().Order());
        Assert.Equal(2, specs.Count(s => s.Language == "html"));
    }

    [Fact]
    public async Task Submit_list_show_cancel_work_on_the_store()
    {
        string sample = Path.Combine(SamplesFolder(), "python-word-frequencies.json");
        var (code, idLine) = await Cli("submit", sample);
        Assert.Equal(0, code);
        string id = idLine.Trim();
        Assert.Contains(id, (await Cli("list")).Output);
        Assert.Contains("queued", (await Cli("show", id)).Output);
        Assert.Contains("cancelled", (await Cli("cancel", id)).Output);
        Assert.Contains("cancelled", (await Cli("show", id, "--json")).Output);
    }

    [Fact]
    public async Task Run_executes_a_sample_end_to_end_with_a_replayed_model()
    {
        string tasks = SamplesFolder();
        var (code, output) = await Cli("run", Path.Combine(tasks, "python-word-frequencies.json"),
            "--chat", "replay:" + Path.Combine(tasks, "replay", "python-word-frequencies.replay.json"));
        Assert.True(code == 0, output);
        Assert.Contains("iteration  1 (attempt 0): fail", output);
        Assert.Contains("iteration  2 (attempt 0): PASS", output);
        Assert.Contains("succeeded", output);
        Assert.Single(Directory.GetDirectories(_dir.Combine("artifacts")));
    }

    [Fact]
    public async Task Http_api_submits_reads_and_cancels_jobs_on_loopback()
    {
        var jobs = new JobService(new SqliteJobStore(_dir.Combine("jobs.db")));
        int port = HostProcess.FreePort();
        const string token = "test-token-0123456789abcdef";
        var api = new LoopbackApi(jobs, new LoopbackApiOptions { Port = port, Token = token }, new AgentHostHealth(), NullLogger<LoopbackApi>.Instance);
        await api.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(api.Prefix) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);

            var created = await http.PostAsync("jobs", new StringContent(File.ReadAllText(Path.Combine(SamplesFolder(), "javascript-roman-numerals.json")), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            string id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            var job = await http.GetFromJsonAsync<JsonElement>($"jobs/{id}");
            Assert.Equal("queued", job.GetProperty("state").GetString());
            Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>($"jobs/{id}/iterations")).GetArrayLength());

            var bad = await http.PostAsync("jobs", new StringContent("""{"language":"cobol"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("errors", await bad.Content.ReadAsStringAsync());

            var cancel = await http.PostAsync($"jobs/{id}/cancel", null);
            Assert.Contains("cancelled", await cancel.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("jobs/j-missing")).StatusCode);
            Assert.Equal(1, (await http.GetFromJsonAsync<JsonElement>("jobs")).GetArrayLength());
        }
        finally
        {
            await api.StopAsync(CancellationToken.None);
            await api.DisposeAsync();
        }
    }

    [Fact]
    public async Task Host_refuses_to_run_code_without_bubblewrap_and_says_so()
    {
        string path = Path.Combine(SamplesFolder(), "python-word-frequencies.json");
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try
        {
            (code, _) = await Cli("run", path, "--chat", "replay:/nonexistent.json", "--bwrap", "/nonexistent/bwrap");
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.Equal(3, code);
        Assert.Contains("bubblewrap", error.ToString());
        Assert.Contains("AllowUnsafeNoIsolation", error.ToString());
        Assert.Equal(0, await StoredJobs());
    }
}
