using Mercury.AI.Engine.Runtime;

namespace Mercury.AI.Engine.Tests.Runtime;

/// <summary>
/// TorchSharp's native library in this test's output went through the build step (buildTransitive targets), and a
/// copy that did not is refused with the real cause (the C++ runtime's missing GLIBCXX version) and the fix, before
/// TorchSharp would misreport it as a missing libtorch package. The diagnosis is checked against a stated libstdc++
/// (Debian 12's versions) so it holds on any machine; the output copy is checked against this machine's own.
/// </summary>
public sealed class TorchNativeLibraryTests : IDisposable
{
    /// <summary>The versions Debian 12's libstdc++.so.6.0.30 (GCC 12) defines.</summary>
    private static readonly IReadOnlySet<string> Debian12LibStdCxx =
        Enumerable.Range(0, 31).Select(n => n == 0 ? "GLIBCXX_3.4" : $"GLIBCXX_3.4.{n}")
            .Concat(Enumerable.Range(0, 14).Select(n => n == 0 ? "CXXABI_1.3" : $"CXXABI_1.3.{n}"))
            .Concat(["CXXABI_FLOAT128", "CXXABI_TM_1"]).ToHashSet();

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("mercury-native-");

    public void Dispose() => _work.Delete(recursive: true);

    private static string OutputLibrary() =>
        TorchNativeLibrary.Locate() ?? throw new FileNotFoundException($"{TorchNativeLibrary.FileName} is not in the test output {AppContext.BaseDirectory}.");

    private static ElfVersionNeed PatchedNeed(IEnumerable<ElfVersionNeed> needs) =>
        Assert.Single(needs, n => n.File == "libstdc++.so.6" && n.Version == TorchNativeLibrary.PatchedVersion);

    /// <summary>A copy of the output library with the GLIBCXX_3.4.32 requirement hard again, as TorchSharp ships it.</summary>
    private string UnpatchedCopy()
    {
        string copy = Path.Combine(_work.FullName, TorchNativeLibrary.FileName);
        byte[] bytes = File.ReadAllBytes(OutputLibrary());
        long flags = PatchedNeed(ElfSymbolVersions.ReadNeeded(OutputLibrary())).FlagsOffset;
        bytes[flags] = (byte)(bytes[flags] & ~ElfSymbolVersions.WeakFlag);
        File.WriteAllBytes(copy, bytes);
        return copy;
    }

    [Fact]
    public void The_output_copy_loads_here_because_the_build_step_made_the_missing_version_weak()
    {
        string library = OutputLibrary();
        var needs = ElfSymbolVersions.ReadNeeded(library);
        var loaded = TorchNativeLibrary.LoadedLibraries(needs.Select(n => n.File));
        var cxx = loaded["libstdc++.so.6"]; // the .NET host itself runs on the C++ runtime
        Assert.Contains("GLIBCXX_3.4.30", cxx.Versions);
        bool machineLacksIt = !cxx.Versions.Contains(TorchNativeLibrary.PatchedVersion);
        Assert.Equal(machineLacksIt, PatchedNeed(needs).Weak); // patched exactly when this machine needs it
        Assert.Null(TorchNativeLibrary.Diagnose(library, needs, loaded));
        TorchRuntime.EnsureNativeLibrary();
    }

    [Fact]
    public void An_unpatched_copy_is_refused_naming_the_missing_GLIBCXX_version_the_runtime_in_use_and_the_fix()
    {
        string copy = UnpatchedCopy();
        var needs = ElfSymbolVersions.ReadNeeded(copy);
        Assert.False(PatchedNeed(needs).Weak);
        var debian12 = new Dictionary<string, (string, IReadOnlySet<string>)> { ["libstdc++.so.6"] = ("/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", Debian12LibStdCxx) };

        string? message = TorchNativeLibrary.Diagnose(copy, needs, debian12);

        Assert.NotNull(message);
        Assert.Contains(copy, message);
        Assert.Contains("needs GLIBCXX_3.4.32 from libstdc++.so.6", message);
        Assert.Contains("(/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30) defines versions only up to GLIBCXX_3.4.30", message);
        Assert.Contains("-p:MercuryPatchLibTorchSharp=true", message);
        Assert.Contains("Mercury.AI.Engine", message);
        Assert.DoesNotContain("libtorch-cpu-linux-x64", message); // not TorchSharp's misleading advice

        // On this machine: refused exactly when its libstdc++ lacks the version.
        var loaded = TorchNativeLibrary.LoadedLibraries(needs.Select(n => n.File));
        bool machineLacksIt = !loaded["libstdc++.so.6"].Versions.Contains(TorchNativeLibrary.PatchedVersion);
        Assert.Equal(machineLacksIt, TorchNativeLibrary.Diagnose(copy, needs, loaded) is not null);
    }

    [Fact]
    public void A_missing_version_the_build_step_cannot_fix_is_named_without_the_patch_advice()
    {
        var needs = new[] { new ElfVersionNeed("libc.so.6", "GLIBC_2.99", Weak: false, FlagsOffset: 0), new ElfVersionNeed("libc.so.6", "GLIBC_2.2.5", false, 0) };
        var oldLibc = new Dictionary<string, (string, IReadOnlySet<string>)> { ["libc.so.6"] = ("/lib/libc.so.6", new HashSet<string> { "GLIBC_2.2.5", "GLIBC_2.36", "GLIBC_PRIVATE" }) };

        string message = TorchNativeLibrary.Diagnose("/app/libLibTorchSharp.so", needs, oldLibc)!;

        Assert.Contains("needs GLIBC_2.99 from libc.so.6", message);
        Assert.Contains("only up to GLIBC_2.36", message);
        Assert.DoesNotContain("GLIBC_2.2.5 from", message);
        Assert.DoesNotContain("MercuryPatchLibTorchSharp", message);
        Assert.Contains("newer Linux distribution", message);
    }

    [Fact]
    public void Weak_needs_and_needs_of_libraries_not_yet_loaded_are_left_to_the_loader()
    {
        var needs = new[] { new ElfVersionNeed("libstdc++.so.6", "GLIBCXX_3.4.32", Weak: true, 0), new ElfVersionNeed("libtorch.so", "V_1", false, 0) };
        var debian12 = new Dictionary<string, (string, IReadOnlySet<string>)> { ["libstdc++.so.6"] = ("/x/libstdc++.so.6", Debian12LibStdCxx) };
        Assert.Null(TorchNativeLibrary.Diagnose("/app/libLibTorchSharp.so", needs, debian12));
    }

    [Fact]
    public void Reading_versions_of_a_file_that_is_not_ELF_fails_naming_it()
    {
        string path = Path.Combine(_work.FullName, "not-a-library.so");
        File.WriteAllText(path, new string('x', 100));
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadNeeded(path));
        Assert.Contains(path, e.Message);
    }
}
