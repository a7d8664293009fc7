using Mercury.AI.Agents.Storage;
using Npgsql;

namespace Mercury.AI.Agents.PostgreSql;

/// <summary>Settings of <see cref="PostgresJobStore"/>.</summary>
public sealed class PostgresJobStoreOptions
{
    /// <summary>A <c>postgres://user[:password]@host[:port]/database[?host=/socket/dir&amp;sslmode=...]</c> URI or an
    /// Npgsql key=value connection string. A password may also come from PGPASSWORD or ~/.pgpass.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The schema that holds the tables; created on first use.</summary>
    public string Schema { get; set; } = "mercury_agents";

    /// <summary>Retries of one store operation on a transient failure (connection lost, server restarting) before it
    /// fails. With the default delays the last retry comes about 20 s after the first failure.</summary>
    public int MaxRetryAttempts { get; set; } = 8;

    /// <summary>First retry delay; it doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The server ends a session that sits idle inside a transaction this long, releasing its row locks. A host frozen
    /// mid-transaction (SIGSTOP, a stalled VM) would otherwise keep its job locked past its lease, so no other host
    /// could take it over (claims skip locked rows). Our transactions last milliseconds.
    /// </summary>
    public TimeSpan IdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The bounds the store enforces (poison jobs, stored output, queue length), as on SQLite.</summary>
    public JobStoreLimits Limits { get; set; } = JobStoreLimits.Default;

    /// <summary>True for the values that name PostgreSQL: a postgres:// or postgresql:// URI.</summary>
    public static bool IsPostgresUri(string value) =>
        value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Npgsql connection string: the URI (or key=value string) with the schema as search path.</summary>
    public string ToNpgsqlConnectionString()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString)) throw new ArgumentException("The PostgreSQL connection string is empty.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(Schema, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new ArgumentException($"Schema '{Schema}' is not a plain lower-case identifier.");
        var builder = IsPostgresUri(ConnectionString) ? FromUri(ConnectionString) : new NpgsqlConnectionStringBuilder(ConnectionString);
        builder.SearchPath = Schema;
        builder.ApplicationName ??= "mercury-agents";
        builder.Options = $"{builder.Options} -c idle_in_transaction_session_timeout={(long)IdleInTransactionTimeout.TotalMilliseconds}".Trim();
        return builder.ConnectionString;
    }

    /// <summary>libpq's URI form, which Npgsql does not read itself.</summary>
    internal static NpgsqlConnectionStringBuilder FromUri(string value)
    {
        // System.Uri refuses libpq forms such as postgres://user@/db?host=/run/postgresql (no host: a Unix socket).
        var m = UriPattern.Match(value);
        if (!m.Success) throw new ArgumentException($"'{Redact(value)}' is not a valid postgres://[user[:password]@][host][:port][/database][?key=value&...] URI.");
        var builder = new NpgsqlConnectionStringBuilder();
        if (m.Groups["host"].Length > 0) builder.Host = Uri.UnescapeDataString(m.Groups["host"].Value);
        if (m.Groups["port"].Success) builder.Port = int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (m.Groups["db"].Length > 0) builder.Database = Uri.UnescapeDataString(m.Groups["db"].Value);
        if (m.Groups["user"].Length > 0) builder.Username = Uri.UnescapeDataString(m.Groups["user"].Value);
        if (m.Groups["password"].Success) builder.Password = Uri.UnescapeDataString(m.Groups["password"].Value);
        var query = m.Groups["query"].Value;
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]), v = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key)
            {
                case "host": builder.Host = v; break; // a Unix socket directory, as in libpq
                case "port": builder.Port = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                case "user": builder.Username = v; break;
                case "password": builder.Password = v; break;
                case "sslmode": builder.SslMode = Enum.Parse<SslMode>(v.Replace("-", ""), ignoreCase: true); break;
                case "application_name": builder.ApplicationName = v; break;
                case "connect_timeout": builder.Timeout = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown parameter '{key}' in the PostgreSQL URI (known: host, port, user, password, sslmode, application_name, connect_timeout).");
            }
        }
        builder.Host ??= "localhost";
        return builder;
    }

    private static readonly System.Text.RegularExpressions.Regex UriPattern = new(
        @"^postgres(?:ql)?://(?:(?<user>[^:@/?]*)(?::(?<password>[^@/?]*))?@)?(?<host>[^:/?]*)(?::(?<port>\d+))?(?:/(?<db>[^?]*))?(?:\?(?<query>.*))?$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    /// <summary>The URI without its password, for messages and logs.</summary>
    public static string Redact(string value) =>
        System.Text.RegularExpressions.Regex.Replace(value, "(://[^:/@]*:)[^@]*@", "$1***@");
}
