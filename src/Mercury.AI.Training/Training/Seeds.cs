namespace Mercury.AI.Training.Training;

/// <summary>
/// Seeds derived from (seed, step, …) that are the same in every process. <c>HashCode.Combine</c> is randomised per
/// process, so with it a resumed run draws other batches and masks than an uninterrupted one, and held-out losses
/// measured in two sittings are taken on different masks.
/// </summary>
public static class Seeds
{
    /// <summary>SplitMix64 folded over the values in order.</summary>
    public static ulong Mix(params ReadOnlySpan<long> values)
    {
        ulong h = 0;
        foreach (long v in values)
        {
            h = unchecked((h ^ (ulong)v) + 0x9E3779B97F4A7C15);
            h = unchecked((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9);
            h = unchecked((h ^ (h >> 27)) * 0x94D049BB133111EB);
            h ^= h >> 31;
        }
        return h;
    }

    /// <summary><see cref="Mix"/> as a non-negative <see cref="int"/>, for <see cref="Random"/>.</summary>
    public static int MixToInt(params ReadOnlySpan<long> values) => (int)(Mix(values) & int.MaxValue);
}
