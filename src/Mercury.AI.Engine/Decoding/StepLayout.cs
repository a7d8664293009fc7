using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Decoding;

/// <summary>The per-round index tensors of the step loop (on the device, in the round's dispose scope).</summary>
internal sealed class RoundIndex
{
    public RoundIndex(int[] starts, int[] lengths, int window, int shift, Tensor? keyMask, Tensor? positions, Device device)
    {
        int batch = starts.Length;
        Starts = starts;
        KeyMask = keyMask;
        Positions = positions;
        // The block's columns (clamped for a shorter last block); the fed column whose logits predict each.
        var columns = Columns(starts, lengths, window, 0);
        Window = new StepWindow(window, columns, lengths, tensor(Columns(starts, lengths, window, -shift), device: device).view(batch, window));
        Local = tensor(Columns(new int[batch], lengths, window, 0), device: device).view(batch, window);
        FedColumns = Columns(starts, lengths.Select(l => l + shift).ToArray(), window + shift, -shift);
        Fed = tensor(FedColumns, device: device).view(batch, window + shift);
        FedPositions = positions is null ? Fed : positions.gather(1, Fed);
    }

    public int[] Starts { get; }
    public Tensor? KeyMask { get; }
    public Tensor? Positions { get; }
    public StepWindow Window { get; }
    public Tensor Local { get; }
    public long[] FedColumns { get; }
    public Tensor Fed { get; }
    public Tensor FedPositions { get; }

    /// <summary>Row-major <c>[B, width]</c> columns <c>start + offset + min(j, length - 1)</c>.</summary>
    public static long[] Columns(int[] starts, int[] lengths, int width, int offset)
    {
        var columns = new long[starts.Length * width];
        for (int r = 0; r < starts.Length; r++)
            for (int j = 0; j < width; j++)
                columns[r * width + j] = starts[r] + offset + Math.Min(j, Math.Max(0, lengths[r] - 1));
        return columns;
    }
}

/// <summary>The candidates a step scores: per row, <see cref="Counts"/>[r] padded-layout canvas columns, laid out
/// <c>[B, Width]</c> (a shorter row repeats its last column), and where their logits are.</summary>
internal sealed class StepWindow(int width, long[] columns, int[] counts, Tensor logitsIndex)
{
    public int Width { get; } = width;
    public long[] Columns { get; } = columns;
    public int[] Counts { get; } = counts;

    /// <summary><c>[B, Width]</c> fed positions whose logits score the candidates (a column before, for Dream).</summary>
    public Tensor LogitsIndex { get; } = logitsIndex;
}

/// <summary>Host arrays the step loop reuses, so a step allocates nothing proportional to the canvas or vocabulary.
/// The canvas and fed-token arrays are shared with CPU tensors (<c>frombuffer</c>, no copy), made once per round.</summary>
internal sealed class StepBuffers
{
    private double[] _scored;
    private bool[] _masked = new bool[64], _commit = new bool[64];

    public StepBuffers(int batch, int length, int fed, int scored)
    {
        Canvas = new long[batch * length];
        Fed = new long[Math.Max(1, fed)];
        CanvasTensor = frombuffer(Canvas, ScalarType.Int64).view(batch, length);
        FedTensor = fed == 0 ? null : frombuffer(Fed, ScalarType.Int64).view(batch, fed / batch);
        _scored = new double[scored];
    }

    public long[] Canvas { get; }
    public long[] Fed { get; }
    public Tensor CanvasTensor { get; }
    public Tensor? FedTensor { get; }

    public Span<double> Scored(int count)
    {
        if (_scored.Length < count) _scored = new double[count];
        return _scored.AsSpan(0, count);
    }

    /// <summary>Masked/commit flags for one row's candidates, cleared: read <see cref="Masked"/> and <see cref="Commit"/>.</summary>
    public void ClearFlags(int count)
    {
        if (_masked.Length < count) (_masked, _commit) = (new bool[count], new bool[count]);
        _masked.AsSpan(0, count).Clear();
        _commit.AsSpan(0, count).Clear();
    }

    public bool[] Masked => _masked;
    public bool[] Commit => _commit;
}
