using Microsoft.Win32.SafeHandles;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Hands out sandbox uids so that no two runs share one — not within a process, nor across host processes on the
/// machine. A uid is held through an exclusive flock on &lt;state&gt;/uids/&lt;uid&gt;.lock, released when the run is over
/// and its processes are gone. Sharing would let one run's clean-up kill another's processes, and RLIMIT_NPROC counts
/// per uid. The folder is root's own and 0700 (<see cref="PrivateFolder"/>), and a lock file is opened with O_NOFOLLOW,
/// so no other user can plant a symlink there or hold a lock to starve the host of uids.
/// </summary>
internal sealed class SandboxUids(int firstUid, int count, string lockDirectory)
{
    public sealed class Lease(int uid, SafeFileHandle lockFile) : IDisposable
    {
        public int Uid { get; } = uid;

        public void Dispose() => lockFile.Dispose();
    }

    public string LockDirectory { get; } = lockDirectory;

    public Lease Acquire()
    {
        int start = Random.Shared.Next(count);
        for (int attempt = 0; attempt < count * 4; attempt++)
        {
            int uid = firstUid + (start + attempt) % count;
            if (Posix.TryLockFile(Path.Combine(LockDirectory, $"{uid}.lock")) is { } handle) return new Lease(uid, handle);
            if (attempt % count == count - 1) Thread.Sleep(50);
        }
        throw new InvalidOperationException($"All {count} sandbox uids from {firstUid} are in use.");
    }
}
