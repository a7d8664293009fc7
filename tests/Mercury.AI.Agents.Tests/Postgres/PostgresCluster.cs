using System.Diagnostics;
using Mercury.AI.Agents.Tests.Host;
using Npgsql;

namespace Mercury.AI.Agents.Tests.Postgres;

/// <summary>
/// A private, throwaway PostgreSQL cluster for tests: initdb into a temp folder, pg_ctl on a free loopback port, trust
/// authentication, no fsync. Needs Debian's <c>postgresql</c> package (binaries under /usr/lib/postgresql/N/bin);
/// run as root it runs the server as the <c>postgres</c> user (runuser), as PostgreSQL refuses to run as root.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgresUser;

    private PostgresCluster(string bin, string dir, int port, bool asPostgresUser)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    /// <summary>A key=value connection string for <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true }.ConnectionString;

    public static async Task<PostgresCluster> StartAsync()
    {
        string bin = FindBinaries();
        bool root = Environment.UserName == "root";
        // As root the server runs as postgres, which must reach the folder: /tmp rather than a private $TMPDIR.
        string dir = Path.Combine(root ? "/tmp" : Path.GetTempPath(), $"mercury-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        if (root) await RunAsync("chown", ["postgres:postgres", dir], asPostgresUser: false);
        var cluster = new PostgresCluster(bin, dir, HostProcess.FreePort(), root);
        await cluster.PgAsync("initdb", ["-D", cluster.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        await cluster.StartAgainAsync();
        return cluster;
    }

    private string Data => Path.Combine(_dir, "data");

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>), on the same port and data.</summary>
    public Task StartAgainAsync() => PgAsync("pg_ctl", ["-D", Data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60", "start", "-o",
        $"-p {Port} -c listen_addresses=127.0.0.1 -k {_dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB"]);

    /// <summary>Fast shutdown: sessions are disconnected (clients see admin_shutdown), as in a real restart.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", ["-D", Data, "-w", "-t", "60", "-m", "fast", "stop"]);

    public string ServerLog => File.Exists(Path.Combine(_dir, "server.log")) ? File.ReadAllText(Path.Combine(_dir, "server.log")) : "";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        string name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try { await PgAsync("pg_ctl", ["-D", Data, "-m", "immediate", "stop"]); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task PgAsync(string tool, string[] args) => RunAsync(Path.Combine(_bin, tool), args, _asPostgresUser);

    private static async Task RunAsync(string file, string[] args, bool asPostgresUser)
    {
        var psi = new ProcessStartInfo(asPostgresUser ? "runuser" : file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = "/tmp", // runuser's postgres must be able to enter the current directory
        };
        if (asPostgresUser) foreach (var a in new[] { "-u", "postgres", "--", file }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        // pg_ctl start leaves the server holding the pipes: read to the process's exit only, not to EOF.
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            string said = await Task.WhenAny(output, Task.Delay(2000)) == output ? string.Join('\n', output.Result) : "";
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: {said}");
        }
    }

    /// <summary>Debian's versioned folder, newest first; else the folder of pg_ctl on PATH.</summary>
    private static string FindBinaries()
    {
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (debian is not null) return debian;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        throw new InvalidOperationException(
            "PostgreSQL is not installed: the PostgreSQL tests need initdb and pg_ctl (Debian: apt-get install postgresql; .ci/run does it), " +
            "or MERCURY_TEST_POSTGRES set to a server where the user may CREATE DATABASE.");
    }
}
