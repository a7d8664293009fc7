using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.Tests.Storage;

public sealed class SqliteJobStoreContractTests : JobStoreContractTests
{
    private readonly TempFolder _dir = new("mercury-store");

    protected override Task<IJobStore> CreateStoreAsync() => Task.FromResult<IJobStore>(new SqliteJobStore(_dir.Combine("jobs.db")));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
