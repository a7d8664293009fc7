namespace Mercury.AI.Engine.Decoding;

/// <summary>
/// One step of the decoder, split into the managed work around the tensor calls (host: picking rows and candidates,
/// filling the canvas, committing, stop checks) and the tensor calls themselves (model forward, scoring, the copy of
/// the scores to the host), with the managed bytes each allocated on the decoding thread.
/// </summary>
internal readonly record struct StepProfile(bool FullForward, TimeSpan Host, TimeSpan Tensor, long HostBytes, long TensorBytes);

/// <summary>Opt-in, per thread, for <c>mercury-bench host</c> and the allocation tests: unset costs one null check per step.</summary>
internal static class StepProfiler
{
    [ThreadStatic] private static Action<StepProfile>? t_sink;

    public static Action<StepProfile>? Sink => t_sink;

    /// <summary>Sends every step decoded on this thread to <paramref name="sink"/> until the result is disposed.</summary>
    public static IDisposable Record(Action<StepProfile> sink)
    {
        t_sink = sink;
        return new Reset();
    }

    private sealed class Reset : IDisposable
    {
        public void Dispose() => t_sink = null;
    }
}
