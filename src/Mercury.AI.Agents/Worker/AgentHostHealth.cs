namespace Mercury.AI.Agents.Worker;

/// <summary>
/// Whether the host can do its work, for /health: the workers report a job store they cannot use (a damaged database,
/// a full disk) here instead of failing the same way every poll, and clear it when the store works again.
/// </summary>
public sealed class AgentHostHealth
{
    private volatile Problem? _problem;

    public sealed record Problem(string Message, DateTimeOffset Since);

    /// <summary>Null while healthy.</summary>
    public Problem? Current => _problem;

    public bool IsHealthy => _problem is null;

    /// <summary>Records the problem; true when it is new (the caller logs it once, not every retry).</summary>
    public bool Report(string message)
    {
        var current = _problem;
        if (current?.Message == message) return false;
        _problem = new Problem(message, DateTimeOffset.UtcNow);
        return true;
    }

    /// <summary>True when there was a problem.</summary>
    public bool Clear() => Interlocked.Exchange(ref _problem, null) is not null;
}
