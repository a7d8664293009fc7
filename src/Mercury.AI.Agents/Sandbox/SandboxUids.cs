namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Hands out sandbox uids so that no two runs share one — not within a process, nor across host processes on the
/// machine. A uid is held through an exclusive lock on /tmp/mercury-sandbox-uids/&lt;uid&gt;.lock (.NET takes flock
/// for FileShare.None), released when the run is over and its processes are gone. Sharing would let one run's
/// clean-up kill another's processes, and RLIMIT_NPROC counts per uid.
/// </summary>
internal sealed class SandboxUids(int firstUid, int count)
{
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "mercury-sandbox-uids");

    public sealed class Lease(int uid, FileStream lockFile) : IDisposable
    {
        public int Uid { get; } = uid;

        public void Dispose() => lockFile.Dispose();
    }

    public Lease Acquire()
    {
        Directory.CreateDirectory(LockDirectory);
        int start = Random.Shared.Next(count);
        for (int attempt = 0; attempt < count * 4; attempt++)
        {
            int uid = firstUid + (start + attempt) % count;
            try
            {
                var file = new FileStream(Path.Combine(LockDirectory, $"{uid}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new Lease(uid, file);
            }
            catch (IOException)
            {
                // held by another run
            }
            if (attempt % count == count - 1) Thread.Sleep(50);
        }
        throw new InvalidOperationException($"All {count} sandbox uids from {firstUid} are in use.");
    }
}
