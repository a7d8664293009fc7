using System.Runtime.InteropServices;
using TorchSharp;

namespace Mercury.AI.Engine.Runtime;

/// <summary>
/// Loads TorchSharp's native library, or fails naming the real cause. TorchSharp reports every failure to load
/// <c>libLibTorchSharp.so</c> as "doesn't contain a reference to libtorch-cpu-linux-x64" (and first copies ~600 MB of
/// libtorch from the NuGet cache into a <c>cpu/</c> folder beside the app to retry). The usual cause on Debian 12 is
/// the C++ runtime: TorchSharp 0.107 asks for <c>GLIBCXX_3.4.32</c>, Debian's libstdc++ stops at 3.4.30, and only
/// the Mercury.AI.Engine build step (buildTransitive/Mercury.AI.Engine.targets) makes the output copy loadable.
/// So before TorchSharp first loads, the library's needed symbol versions are compared with the C++ and C runtimes
/// this process already has, as the dynamic loader will; any other failure is reported with the loader's own words.
/// </summary>
internal static class TorchNativeLibrary
{
    public const string FileName = "libLibTorchSharp.so";
    public const string PatchedVersion = "GLIBCXX_3.4.32";

    private static readonly object Gate = new();
    private static bool _versionsChecked;
    private static bool _loaded;

    /// <summary>Loads TorchSharp's CPU backend (a no-op once any backend is loaded), or throws
    /// <see cref="DllNotFoundException"/> saying why it cannot load and how to fix it.</summary>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded)) return;
        lock (Gate)
        {
            if (_loaded) return;
            CheckVersions();
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
            {
                throw new DllNotFoundException(ExplainLoadFailure(Locate()), e);
            }
            _loaded = true;
        }
    }

    /// <summary>Throws when the dynamic loader is certain to refuse TorchSharp's native library here because a runtime
    /// library this process has loaded lacks a symbol version it needs. Reads files only; loads nothing, so the CUDA
    /// libtorch can still be loaded first.</summary>
    public static void CheckVersions()
    {
        lock (Gate)
        {
            if (_versionsChecked) return;
            if (OperatingSystem.IsLinux() && Locate() is { } library
                && ElfSymbolVersions.ReadNeeded(library) is var needs
                && Diagnose(library, needs, LoadedLibraries(needs.Select(n => n.File))) is { } problem)
                throw new DllNotFoundException(problem);
            _versionsChecked = true;
        }
    }

    /// <summary>What the loader will refuse: the library's non-weak needed versions that a loaded runtime library
    /// (by soname) does not define, explained with the fix; null when nothing is missing. Needed libraries that
    /// are not loaded yet are the loader's to find and are not judged here.</summary>
    internal static string? Diagnose(string library, IReadOnlyList<ElfVersionNeed> needs,
        IReadOnlyDictionary<string, (string Path, IReadOnlySet<string> Versions)> loaded)
    {
        var missing = needs.Where(n => !n.Weak && loaded.TryGetValue(n.File, out var provider) && !provider.Versions.Contains(n.Version)).ToList();
        if (missing.Count == 0) return null;
        var lines = missing.Select(n => $"{n.Version} from {n.File}, but the {n.File} this process uses ({loaded[n.File].Path}) " +
            $"defines versions only up to {Highest(loaded[n.File].Versions, n.Version)}").ToList();
        string message = $"TorchSharp's native library {library} cannot be loaded on this machine: it needs " + string.Join("; and ", lines) + ".";
        if (missing.All(n => n.Version == PatchedVersion))
            message += $" TorchSharp lists {PatchedVersion} for one symbol it never uses, and the Mercury.AI.Engine package's build step " +
                "marks that requirement weak in the app's build and publish output when the build machine's libstdc++ lacks it; this copy " +
                "has not been through that step. Fix: build or publish the app with Mercury.AI.Engine referenced (directly or through " +
                "Mercury.AI.Chat) on a machine like this one, or add -p:MercuryPatchLibTorchSharp=true when building elsewhere for it " +
                $"(and check the property is not set to false); or install a libstdc++ that defines {PatchedVersion} (GCC 13 or later).";
        else
            message += " Fix: run on a newer Linux distribution, or install newer versions of those runtime libraries.";
        return message;
    }

    /// <summary>The library the loader will be asked for: beside TorchSharp.dll (an app built for one runtime) or under
    /// runtimes/linux-&lt;arch&gt;/native (a portable app).</summary>
    internal static string? Locate()
    {
        string assembly = typeof(torch).Assembly.Location;
        string baseFolder = assembly.Length > 0 ? Path.GetDirectoryName(assembly)! : AppContext.BaseDirectory;
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        foreach (string candidate in new[] { Path.Combine(baseFolder, FileName), Path.Combine(baseFolder, "runtimes", $"linux-{arch}", "native", FileName) })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>Those of the sonames that are mapped into this process (<c>libstdc++.so.6</c> for <c>libstdc++.so.6.0.30</c>),
    /// with the file and the versions it defines.</summary>
    internal static IReadOnlyDictionary<string, (string Path, IReadOnlySet<string> Versions)> LoadedLibraries(IEnumerable<string> sonames)
    {
        var wanted = sonames.ToHashSet(StringComparer.Ordinal);
        var loaded = new Dictionary<string, (string, IReadOnlySet<string>)>(StringComparer.Ordinal);
        if (!File.Exists("/proc/self/maps")) return loaded;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            string path = line[slash..];
            string name = Path.GetFileName(path);
            int so = name.IndexOf(".so.", StringComparison.Ordinal);
            if (so < 0) continue;
            int majorEnd = name.IndexOf('.', so + 4);
            string soname = majorEnd < 0 ? name : name[..majorEnd];
            if (!wanted.Contains(soname) || loaded.ContainsKey(soname) || !File.Exists(path)) continue;
            try
            {
                loaded[soname] = (path, ElfSymbolVersions.ReadDefined(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // Not readable or not a 64-bit ELF file: nothing to compare against.
            }
        }
        return loaded;
    }

    /// <summary>After TorchSharp's own loader failed: the dynamic loader's reason, which TorchSharp hides.</summary>
    private static string ExplainLoadFailure(string? library)
    {
        const string Prefix = "TorchSharp's native library could not be loaded";
        if (library is null)
            return $"{Prefix}: {FileName} is not beside TorchSharp.dll nor under runtimes/<rid>/native in {AppContext.BaseDirectory}. " +
                "Fix: reference the TorchSharp package (Mercury.AI.Engine brings it) and run the app from its build or publish folder.";
        string reason;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(library));
            reason = "the dynamic loader accepts it now, so TorchSharp's own probing failed (see the inner exception)";
        }
        catch (DllNotFoundException e)
        {
            // .NET appends dlerror() after a fixed preamble; keep the loader's sentence.
            reason = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? e.Message;
        }
        string fix = reason.Contains("libtorch", StringComparison.Ordinal) || reason.Contains("libc10", StringComparison.Ordinal)
            ? " Fix: libtorch must sit beside it: reference libtorch-cpu-linux-x64 (Mercury.AI.Engine brings it unless built with " +
              "-p:MercuryLibTorch=external), or for CUDA point MERCURY_LIBTORCH at an installed PyTorch's torch/lib (docs/gpu.md)."
            : "";
        return $"{Prefix} ({library}): {reason}.{fix}";
    }

    private static string Highest(IReadOnlySet<string> versions, string like)
    {
        string family = like[..(like.IndexOf('_') + 1)];
        return versions.Where(v => v.StartsWith(family, StringComparison.Ordinal) && Version.TryParse(v[family.Length..], out _))
            .MaxBy(v => Version.Parse(v[family.Length..])) ?? $"none of the {family}* family";
    }
}
