using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Runtime;

/// <summary>Which device the engine should run on.</summary>
public enum DevicePreference
{
    /// <summary>CUDA when a CUDA libtorch and a GPU are found, else CPU with a logged warning.</summary>
    Auto,
    Cpu,
    /// <summary>CUDA or a clear error saying what was looked for.</summary>
    Cuda,
}

/// <summary>
/// Chooses the device and, for CUDA, finds a CUDA-enabled libtorch. NuGet serves no CUDA libtorch for TorchSharp
/// here, so CUDA runs on the libtorch of an installed PyTorch: the folder named by <c>MERCURY_LIBTORCH</c> (or
/// <c>TORCHSHARP_LIBTORCH</c>), else <c>torch/lib</c> of the <c>python3</c> on PATH, else common virtualenv places.
/// The app must then be built without the bundled CPU libtorch (<c>-p:MercuryLibTorch=external</c>); see docs/gpu.md.
/// When TorchSharp's native library cannot load at all, resolving a device throws <see cref="DllNotFoundException"/>
/// naming the cause (e.g. the C++ runtime's missing GLIBCXX version) instead of TorchSharp's "missing libtorch package".
/// </summary>
public static class TorchRuntime
{
    public const string LibTorchEnvironmentVariable = "MERCURY_LIBTORCH";

    // Where CandidateFolders looks, in order; named in the error when none of them gives a folder.
    private const string SearchOrder = $"${LibTorchEnvironmentVariable} and $TORCHSHARP_LIBTORCH (unset), LD_LIBRARY_PATH, " +
        "the torch package of the python3 on PATH, and lib/python3*/{site,dist}-packages/torch/lib under /opt/torch/.venv, /opt/conda, /usr/local and /usr";

    private static readonly object Gate = new();
    private static string? _cudaLibTorch;

    /// <summary>Loads TorchSharp's CPU backend now (a no-op once a backend is loaded), or throws <see cref="DllNotFoundException"/>
    /// saying why it cannot load on this machine and how to fix it. Device resolution and model loading call it; call it
    /// before using TorchSharp directly for the same clear error.</summary>
    public static void EnsureNativeLibrary() => TorchNativeLibrary.EnsureLoaded();

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (case-insensitive).</summary>
    public static (DevicePreference Preference, int Index) Parse(string? text)
    {
        string value = (text ?? "auto").Trim().ToLowerInvariant();
        if (value is "" or "auto") return (DevicePreference.Auto, 0);
        if (value == "cpu") return (DevicePreference.Cpu, 0);
        if (value == "cuda") return (DevicePreference.Cuda, 0);
        if (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value[5..], out int index) && index >= 0) return (DevicePreference.Cuda, index);
        throw new ArgumentException($"Unknown device '{text}'. Use 'cpu', 'cuda', 'cuda:N' or 'auto'.", nameof(text));
    }

    /// <summary>Resolves a device string (see <see cref="Parse"/>) to a TorchSharp device.</summary>
    public static Device ResolveDevice(string? device, ILogger? logger = null)
    {
        var (preference, index) = Parse(device);
        return ResolveDevice(preference, index, logger);
    }

    public static Device ResolveDevice(DevicePreference preference, int index = 0, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        TorchNativeLibrary.CheckVersions();
        if (preference == DevicePreference.Cpu)
        {
            TorchNativeLibrary.EnsureLoaded();
            return CPU;
        }
        string? problem = TryInitializeCuda(out var searched);
        if (problem is null)
        {
            int count = cuda.device_count();
            if (index < count) return new Device(DeviceType.CUDA, index);
            problem = $"CUDA device {index} was asked for but {count} device(s) are visible.";
        }
        if (preference == DevicePreference.Cuda)
            throw new InvalidOperationException(
                $"CUDA is not available: {problem}\nLooked for a CUDA libtorch (libtorch_cuda.so) in: " +
                (searched.Count > 0 ? string.Join("; ", searched) : $"no candidate folder (searched {SearchOrder})") + ".\n" +
                $"Fix: install PyTorch with CUDA (python3 -m pip install torch) or set {LibTorchEnvironmentVariable} to its torch/lib folder, " +
                "build with -p:MercuryLibTorch=external so the bundled CPU libtorch is left out, and check that nvidia-smi sees a GPU.");
        logger.LogWarning("CUDA not available ({Problem}); running on CPU.", problem);
        TorchNativeLibrary.EnsureLoaded();
        return CPU;
    }

    /// <summary>The libtorch folder CUDA was initialised from, if any.</summary>
    public static string? CudaLibTorchFolder => _cudaLibTorch;

    private static string? TryInitializeCuda(out List<string> searched)
    {
        searched = [];
        lock (Gate)
        {
            if (_cudaLibTorch is not null) return null;
            // Already loadable (LD_LIBRARY_PATH set by the user, or a CUDA TorchSharp package)?
            var candidates = CandidateFolders().ToList();
            searched.AddRange(candidates.Select(c => c.Source + ": " + c.Folder));
            foreach (var (folder, _) in candidates)
            {
                string cudaLib = Path.Combine(folder, "libtorch_cuda.so");
                if (!File.Exists(cudaLib)) continue;
                // Load the CUDA libtorch by full path before TorchSharp asks for it by name: the loader then reuses
                // these already-loaded objects (matched by soname) instead of the bundled CPU build.
                foreach (string lib in new[] { "libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so" })
                {
                    string path = Path.Combine(folder, lib);
                    if (File.Exists(path) && !NativeLibrary.TryLoad(path, out _)) return $"{path} exists but failed to load";
                }
                try
                {
                    if (torch.TryInitializeDeviceType(DeviceType.CUDA) && cuda.is_available())
                    {
                        _cudaLibTorch = folder;
                        return null;
                    }
                    return $"libtorch in {folder} loaded, but torch reports no usable CUDA device";
                }
                catch (Exception e)
                {
                    return $"initialising CUDA from {folder} failed: {e.Message}";
                }
            }
            try
            {
                if (torch.TryInitializeDeviceType(DeviceType.CUDA) && cuda.is_available())
                {
                    _cudaLibTorch = "(process library path)";
                    return null;
                }
            }
            catch (Exception)
            {
                // Fall through to the message below.
            }
            return candidates.Count == 0 ? "no CUDA libtorch folder was found" : "none of the folders holds a usable libtorch_cuda.so";
        }
    }

    private static IEnumerable<(string Folder, string Source)> CandidateFolders()
    {
        foreach (string name in new[] { LibTorchEnvironmentVariable, "TORCHSHARP_LIBTORCH" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } env) yield return (env, name);
        foreach (string dir in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "libtorch_cuda.so"))) yield return (dir, "LD_LIBRARY_PATH");
        if (FromPython() is { } fromPython) yield return (fromPython, "python3 -c 'import torch'");
        foreach (string root in new[] { "/opt/torch/.venv", "/opt/conda", "/usr/local", "/usr" })
        {
            string lib = Path.Combine(root, "lib");
            if (!Directory.Exists(lib)) continue;
            foreach (string py in Directory.EnumerateDirectories(lib, "python3*"))
                foreach (string packages in new[] { "site-packages", "dist-packages" })
                {
                    string candidate = Path.Combine(py, packages, "torch", "lib");
                    if (Directory.Exists(candidate)) yield return (candidate, root);
                }
        }
    }

    private static string? FromPython()
    {
        try
        {
            var info = new ProcessStartInfo("python3", "-c \"import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(info);
            if (process is null) return null;
            // Read both pipes without blocking, so a python3 that hangs (or floods stderr with warnings) costs at most
            // the time limit instead of stalling the first model load.
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(20_000)) { process.Kill(entireProcessTree: true); return null; }
            string folder = output.Result.Trim();
            return process.ExitCode == 0 && Directory.Exists(folder) ? folder : null;
        }
        catch (Exception)
        {
            return null; // no python3 on PATH
        }
    }
}
