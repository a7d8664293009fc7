using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>The few libc calls .NET has no API for: owner checks without following links, no-follow opens, flock.</summary>
internal static class Posix
{
    public static bool IsRoot => geteuid() == 0;

    public static uint EffectiveUid => geteuid();

    /// <summary>Owner uid and mode bits of <paramref name="path"/> itself (a symlink is not followed); null if it does not exist.</summary>
    public static (uint Uid, uint Mode, bool IsDirectory, bool IsSymlink)? LStat(string path)
    {
        // statx's struct is the same on every architecture, unlike struct stat: uid at 20, mode (u16) at 28.
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0) return null;
        uint uid = BitConverter.ToUInt32(buffer, 20);
        uint mode = BitConverter.ToUInt16(buffer, 28);
        uint type = mode & 0xF000;
        return (uid, mode & 0xFFF, type == 0x4000, type == 0xA000);
    }

    /// <summary>What <paramref name="path"/> itself is (a symlink is not followed); null if it does not exist.</summary>
    public static EntryKind? Kind(string path)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0) return null;
        return (BitConverter.ToUInt16(buffer, 28) & 0xF000) switch
        {
            0x8000 => EntryKind.File,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.Link,
            _ => EntryKind.Other, // a FIFO, socket or device: nothing a workspace carries (a FIFO would block a read)
        };
    }

    public enum EntryKind { File, Directory, Link, Other }

    /// <summary>
    /// Opens (creating, 0600) <paramref name="path"/> without following a symlink in its last component and takes an
    /// exclusive, non-blocking flock. Null when another holder has the lock or the path is a symlink.
    /// </summary>
    public static SafeFileHandle? TryLockFile(string path)
    {
        int fd = open(path, ORdWr | OCreat | OCloexec | ONoFollow, 0x180);
        if (fd < 0) return null; // ELOOP for a planted symlink, EACCES, ...
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (flock(fd, LockEx | LockNb) != 0)
        {
            handle.Dispose();
            return null;
        }
        return handle;
    }

    public static int Chown(string path, int uid, int gid) => chown(path, uid, gid);

    /// <summary>chmod(2); mode in octal digits' value, e.g. 0x1C0 for 0700. (.NET's SetUnixFileMode is fine too, but
    /// this library is also built for platforms where that API does not exist.)</summary>
    public static int Chmod(string path, int mode) => chmod(path, mode);

    /// <summary>mkdir(2) with an exact mode (before the umask); 0 or -1.</summary>
    public static int Mkdir(string path, int mode) => mkdir(path, mode);

    public const int OwnerOnlyDirectory = 0x1C0; // 0700
    public const int OwnerExecutable = 0x1C0;    // 0700

    public static int Kill(int pid, int signal) => kill(pid, signal);

    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxBasicStats = 0x7FF;
    private const int ORdWr = 2, OCreat = 0x40, OCloexec = 0x80000, LockEx = 2, LockNb = 4;

    // O_NOFOLLOW is 0400000 on x86_64 and 0100000 on arm64 (asm/fcntl.h).
    private static int ONoFollow => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    [DllImport("libc", SetLastError = true)]
    private static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    private static extern int chmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
