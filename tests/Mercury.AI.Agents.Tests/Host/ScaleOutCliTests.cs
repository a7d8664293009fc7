namespace Mercury.AI.Agents.Tests.Host;

/// <summary>The scale-out flags refuse bad values with a clear message and the documented exit code.</summary>
public sealed class ScaleOutCliTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-scale-cli");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    public static TheoryData<string[], int, string> BadSettings => new()
    {
        { ["list", "--store", "mysql://db/jobs"], 2, "is not a store" },
        { ["list", "--store", "postgres://u:secret@db/jobs?colour=blue"], 2, "Unknown parameter 'colour'" },
        { ["serve", "--chat", "openai:ftp://gpu-1/v1"], 2, "is not an http(s) base URL" },
        { ["serve", "--chat", $"openai:http://127.0.0.1:{HostProcess.FreePort()}/v1"], 3, "no model endpoint answered GET /models" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_store_and_chat_settings_are_refused_with_the_reason(string[] args, int code, string expected)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(code, await Mercury.AI.Agents.Host.Cli.RunAsync([.. args, "--data", _dir.Path], new StringWriter())); }
        finally { Console.SetError(original); }
        Assert.Contains(expected, error.ToString());
        Assert.DoesNotContain("secret", error.ToString());
    }

    [Fact]
    public async Task Status_lists_no_hosts_and_the_job_counts_of_a_fresh_sqlite_store()
    {
        var output = new StringWriter();
        Assert.Equal(0, await Mercury.AI.Agents.Host.Cli.RunAsync(["status", "--data", _dir.Path], output));
        Assert.Contains("(no host is registered)", output.ToString());
        Assert.Contains("queued 0", output.ToString());
    }
}
