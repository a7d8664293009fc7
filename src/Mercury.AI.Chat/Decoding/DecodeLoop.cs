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

    /// <summary>Whether this request decodes the same in a batch as alone. Rows of a batch draw from seeds
    /// <c>seed + row</c>, so a seeded sampling request is run alone; greedy ones and unseeded ones batch.</summary>
    public bool Batchable => Request.Options.Seed is null || IsDeterministic(Request.Options);

    public bool CanShareBatchWith(DecodeJob other) =>
        Batchable && other.Batchable && Request.Options == other.Request.Options && Request.MaxNewTokens == other.Request.MaxNewTokens;

    private static bool IsDeterministic(DiffusionOptions options) =>
        options.Temperature == 0 && options.Policy is not RandomRemasking && options.Policy is not DreamRemasking { AlgTemperature: > 0 };
}

/// <summary>
/// The one thread that touches the model. Requests queue here (at most <c>capacity</c> waiting; one more is
/// refused with <see cref="DiffusionQueueFullException"/> rather than piling up), and each run takes the oldest
/// request plus every waiting one it can share a batch with (equal options and length, up to <c>maxBatch</c>).
/// Decoding is synchronous on this thread, so tensors never cross an await. A cancelled request is completed at
/// once; its batch stops within a step when every request in it is cancelled.
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
            pending.RemoveAll(job =>
            {
                if (!job.Completion.Task.IsCompleted) return false;
                Interlocked.Decrement(ref _waiting); // cancelled while waiting
                return true;
            });
            if (pending.Count == 0) continue;

            var head = pending[0];
            var batch = new List<DecodeJob> { head };
            for (int i = 1; i < pending.Count && batch.Count < _maxBatch; i++)
                if (head.CanShareBatchWith(pending[i])) batch.Add(pending[i]);
            foreach (var job in batch) pending.Remove(job);
            Interlocked.Add(ref _waiting, -batch.Count);
            Decode(batch);
        }
        foreach (var job in pending) job.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionChatClient)));
        while (reader.TryRead(out var late)) late.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionChatClient)));
    }

    private void Decode(List<DecodeJob> batch)
    {
        using var batchCancel = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        var registrations = batch.Select(job => job.CancellationToken.Register(() =>
        {
            if (batch.All(j => j.CancellationToken.IsCancellationRequested)) batchCancel.Cancel();
        })).ToList();
        try
        {
            _logger.LogDebug("Decoding a batch of {Count} request(s)", batch.Count);
            var results = _backend.GenerateBatch(batch.Select(j => j.Request).ToList(), step =>
            {
                var job = batch[step.Row];
                if (job.OnStep is null || job.Completion.Task.IsCompleted) return;
                try { job.OnStep(step); }
                catch (Exception e) { _logger.LogWarning(e, "A step callback failed; the decode goes on."); }
            }, batchCancel.Token);
            for (int i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(results[i]);
        }
        catch (OperationCanceledException) when (batchCancel.IsCancellationRequested)
        {
            foreach (var job in batch)
                if (_disposing.IsCancellationRequested) job.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionChatClient)));
                else job.Completion.TrySetCanceled(job.CancellationToken);
        }
        catch (ArgumentException e) when (batch.Count > 1)
        {
            // One bad request (e.g. too long for the context) must not fail its neighbours: run each alone.
            _logger.LogWarning(e, "A batch of {Count} requests was refused; decoding them one by one", batch.Count);
            foreach (var job in batch) Decode([job]);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Decoding a batch of {Count} request(s) failed", batch.Count);
            foreach (var job in batch) job.Completion.TrySetException(e);
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposing.IsCancellationRequested) return;
        _disposing.Cancel();
        _queue.Writer.TryComplete();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(30));
        _disposing.Dispose();
    }
}
