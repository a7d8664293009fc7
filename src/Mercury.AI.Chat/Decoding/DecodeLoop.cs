using System.Threading.Channels;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat.Decoding;

/// <summary>A request waiting for, or in, the decode loop.</summary>
internal sealed class DecodeJob(GenerationRequest request, Action<DiffusionStep>? onStep, CancellationToken cancellationToken)
{
    public GenerationRequest Request { get; } = request;

    /// <summary>Called on the decode thread after each step of this request's row.</summary>
    public Action<DiffusionStep>? OnStep { get; } = onStep;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Rows of a batch draw from their own request's seed, so any two requests with equal options (the seed
    /// aside) and length decode in one batch exactly as they would alone.</summary>
    public bool CanShareBatchWith(DecodeJob other) =>
        Request.Options with { Seed = null } == other.Request.Options with { Seed = null } && Request.MaxNewTokens == other.Request.MaxNewTokens;
}

/// <summary>
/// The one thread that touches the model. Requests queue here (at most <c>capacity</c> waiting; one more is
/// refused with <see cref="DiffusionQueueFullException"/> rather than piling up), and each run takes the oldest
/// request plus every waiting one it can share a batch with (equal options and length, up to <c>maxBatch</c>).
/// Decoding is synchronous on this thread, so tensors never cross an await. Batches are continuous: rows complete one
/// by one, newcomers join at block boundaries, and a cancelled request is completed at once while its row stops at the
/// next step.
/// </summary>
internal sealed class DecodeLoop : IDisposable
{
    private readonly IDiffusionBackend _backend;
    private readonly ILogger _logger;
    private readonly int _capacity, _maxBatch;
    private readonly Channel<DecodeJob> _queue = Channel.CreateUnbounded<DecodeJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _disposing = new();
    private readonly Thread _thread;
    private int _waiting;

    public DecodeLoop(IDiffusionBackend backend, int capacity, int maxBatch, ILogger logger)
    {
        _backend = backend;
        _capacity = capacity;
        _maxBatch = maxBatch;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "Mercury.AI decode loop" };
        _thread.Start();
    }

    /// <summary>Queues a request; the task completes with its result, or faults/cancels.</summary>
    public Task<GenerationResult> EnqueueAsync(DecodeJob job)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        job.CancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Increment(ref _waiting) > _capacity)
        {
            Interlocked.Decrement(ref _waiting);
            throw new DiffusionQueueFullException(_capacity);
        }
        if (!_queue.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ObjectDisposedException(nameof(DecodeLoop));
        }
        if (job.CancellationToken.CanBeCanceled)
        {
            var registration = job.CancellationToken.Register(static state => ((DecodeJob)state!).Completion.TrySetCanceled(((DecodeJob)state!).CancellationToken), job);
            job.Completion.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return job.Completion.Task;
    }

    private void Run()
    {
        var pending = new List<DecodeJob>();
        var reader = _queue.Reader;
        while (true)
        {
            if (pending.Count == 0)
            {
                bool more;
                try { more = reader.WaitToReadAsync(_disposing.Token).AsTask().GetAwaiter().GetResult(); }
                catch (OperationCanceledException) { break; }
                if (!more) break;
            }
            while (reader.TryRead(out var job)) pending.Add(job);
            DropCompleted(pending);
            if (pending.Count == 0) continue;

            var head = pending[0];
            var batch = new List<DecodeJob> { head };
            for (int i = 1; i < pending.Count && batch.Count < _maxBatch; i++)
                if (head.CanShareBatchWith(pending[i])) batch.Add(pending[i]);
            foreach (var job in batch) pending.Remove(job);
            Interlocked.Add(ref _waiting, -batch.Count);
            Decode(batch, pending);
        }
        foreach (var job in pending) job.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionChatClient)));
        while (reader.TryRead(out var late)) late.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionChatClient)));
    }

    /// <summary>
    /// Decodes <paramref name="batch"/> with continuous batching: each row completes as soon as its answer is final, a
    /// cancelled request's row stops at the next step, and at every block boundary compatible requests that arrived
    /// meanwhile join (up to the batch limit).
    /// </summary>
    private void Decode(List<DecodeJob> batch, List<DecodeJob> pending)
    {
        var head = batch[0];
        var jobs = new Dictionary<GenerationRequest, DecodeJob>(ReferenceEqualityComparer.Instance);
        GenerationRequest Row(DecodeJob job)
        {
            // The engine request carries the job's cancellation, so only its own row stops.
            var request = job.Request with { CancellationToken = job.CancellationToken };
            jobs[request] = job;
            return request;
        }
        try
        {
            _logger.LogDebug("Decoding a batch of {Count} request(s)", batch.Count);
            _backend.RunContinuous(batch.Select(Row).ToList(),
                admit: _ =>
                {
                    while (_queue.Reader.TryRead(out var job)) pending.Add(job);
                    DropCompleted(pending);
                    int room = _maxBatch - batch.Count(j => !j.Completion.Task.IsCompleted);
                    var joining = pending.Where(head.CanShareBatchWith).Take(Math.Max(0, room)).ToList();
                    foreach (var job in joining) pending.Remove(job);
                    Interlocked.Add(ref _waiting, -joining.Count);
                    batch.AddRange(joining);
                    if (joining.Count > 0) _logger.LogDebug("{Count} request(s) joined the running batch", joining.Count);
                    return joining.Select(Row).ToList();
                },
                completed: (row, result) => batch[row].Completion.TrySetResult(result),
                onStep: step =>
                {
                    var job = batch[step.Row];
                    if (job.OnStep is null || job.Completion.Task.IsCompleted) return;
                    try { job.OnStep(step); }
                    catch (Exception e) { _logger.LogWarning(e, "A step callback failed; the decode goes on."); }
                },
                rejected: (request, e) => jobs[request].Completion.TrySetException(e),
                _disposing.Token);
            foreach (var job in batch) job.Completion.TrySetCanceled(job.CancellationToken); // rows cancelled while decoding
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            foreach (var job in batch) job.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionChatClient)));
        }
        catch (ArgumentException e) when (batch.Count > 1)
        {
            // One bad request (e.g. too long for the context) must not fail its neighbours: run the rest alone.
            _logger.LogWarning(e, "A batch of {Count} requests was refused; decoding them one by one", batch.Count);
            foreach (var job in batch.Where(j => !j.Completion.Task.IsCompleted).ToList()) Decode([job], pending);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Decoding a batch of {Count} request(s) failed", batch.Count);
            foreach (var job in batch) job.Completion.TrySetException(e);
        }
    }

    private void DropCompleted(List<DecodeJob> pending) => pending.RemoveAll(job =>
    {
        if (!job.Completion.Task.IsCompleted) return false;
        Interlocked.Decrement(ref _waiting); // cancelled while waiting
        return true;
    });

    public void Dispose()
    {
        if (_disposing.IsCancellationRequested) return;
        _disposing.Cancel();
        _queue.Writer.TryComplete();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(30));
        _disposing.Dispose();
    }
}
