using Mercury.AI.Server.OpenAI;

namespace Mercury.AI.Server;

/// <summary>
/// Admission control in front of the model: up to <see cref="MercuryServerOptions.MaxConcurrentRequests"/> decode at
/// once, up to <see cref="MercuryServerOptions.MaxQueuedRequests"/> wait, and the next is answered 429 at once instead
/// of piling up behind a model that cannot catch up. Also counts what happened, for <c>/health/ready</c>.
/// </summary>
public sealed class RequestGate(MercuryServerOptions options)
{
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
    private int _waiting;
    private long _served, _rejected, _cancelled;

    public int Active => options.MaxConcurrentRequests - _slots.CurrentCount;
    public int Waiting => Volatile.Read(ref _waiting);
    public long Served => Interlocked.Read(ref _served);
    public long Rejected => Interlocked.Read(ref _rejected);
    /// <summary>Requests whose client went away (or cancelled) before the answer was complete; their decode was cancelled.</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Waits for a decoding slot; the lease gives it back. Throws a 429 <see cref="OpenAIError"/> when the queue is full.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0))
        {
            if (Interlocked.Increment(ref _waiting) > options.MaxQueuedRequests)
            {
                Interlocked.Decrement(ref _waiting);
                Interlocked.Increment(ref _rejected);
                throw new OpenAIError(429,
                    $"The server is busy: {options.MaxConcurrentRequests} requests are decoding and {options.MaxQueuedRequests} are waiting. Retry shortly.",
                    type: "rate_limit_error", code: "queue_full");
            }
            try { await _slots.WaitAsync(cancellationToken).ConfigureAwait(false); }
            finally { Interlocked.Decrement(ref _waiting); }
        }
        Interlocked.Increment(ref _served);
        return new Lease(this);
    }

    internal void CountCancelled() => Interlocked.Increment(ref _cancelled);

    internal void CountRejected() => Interlocked.Increment(ref _rejected);

    private sealed class Lease(RequestGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate._slots.Release();
        }
    }
}
