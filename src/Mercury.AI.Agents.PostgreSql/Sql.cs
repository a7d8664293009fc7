using Npgsql;

namespace Mercury.AI.Agents.PostgreSql;

/// <summary>Commands with named parameters (<c>@name</c>); null values are sent as SQL NULL.</summary>
internal static class Sql
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>A reader that disposes its command with it.</summary>
    public static async Task<NpgsqlDataReader> ReaderAsync(NpgsqlConnection connection, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, null, sql, parameters);
        return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
    }
}
