namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// The sandbox's own state (uid locks, the seccomp program, per-run bwrap arguments) lives in a folder only the host
/// user can enter: owned by the effective uid, mode 0700, not a symlink. As root that is /run/mercury-sandbox, a
/// fixed name so that every host process on the machine shares the uid locks; no other user can create it or plant
/// anything in it. A folder of that name that fails the checks is refused, never used.
/// </summary>
internal static class PrivateFolder
{
    /// <summary>The default state folder: /run/mercury-sandbox as root, else a per-user folder under the temp path.</summary>
    public static string DefaultPath => Posix.IsRoot && Directory.Exists("/run")
        ? "/run/mercury-sandbox"
        : Path.Combine(Path.GetTempPath(), $"mercury-sandbox-{Posix.EffectiveUid}");

    /// <summary>Creates <paramref name="path"/> (0700) if it is missing, then checks it; throws when it is not private.</summary>
    public static string Ensure(string path)
    {
        path = Path.GetFullPath(path);
        if (Posix.LStat(path) is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            _ = Posix.Mkdir(path, Posix.OwnerOnlyDirectory); // a concurrent creator may win; the checks below decide
        }
        var st = Posix.LStat(path) ?? throw new InvalidOperationException($"Sandbox state folder {path} could not be created.");
        if (st.IsSymlink || !st.IsDirectory)
            throw new InvalidOperationException($"Sandbox state folder {path} is not a directory (a symlink?); refusing to use it.");
        if (st.Uid != Posix.EffectiveUid)
            throw new InvalidOperationException($"Sandbox state folder {path} belongs to uid {st.Uid}, not to this user ({Posix.EffectiveUid}); refusing to use it.");
        // Ours and not a link: tighten it if someone loosened it (chmod would follow a link, but this is none).
        if ((st.Mode & 0x1FF) != Posix.OwnerOnlyDirectory) _ = Posix.Chmod(path, Posix.OwnerOnlyDirectory);
        return path;
    }

    /// <summary>A subfolder of a private folder, itself private.</summary>
    public static string EnsureChild(string parent, string name) => Ensure(Path.Combine(parent, name));
}
