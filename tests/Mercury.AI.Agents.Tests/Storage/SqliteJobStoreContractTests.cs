using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.Tests.Storage;

public sealed class SqliteJobStoreContractTests : JobStoreContractTests
{
    private readonly TempFolder _dir = new("mercury-store");

    private int _files;

    protected override Task<IJobStore> CreateStoreAsync(JobStoreLimits limits) =>
        Task.FromResult<IJobStore>(new SqliteJobStore(_dir.Combine($"jobs-{++_files}.db"), limits: limits));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
