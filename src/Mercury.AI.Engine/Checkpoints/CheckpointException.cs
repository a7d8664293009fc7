namespace Mercury.AI.Engine.Checkpoints;

/// <summary>
/// A checkpoint folder or file that cannot be used as it is. The message always names the file and the problem, so
/// a user can fix the folder without reading a TorchSharp stack trace.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file (or folder) the problem was found in.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; }
}
