using System.Text.RegularExpressions;
using Mercury.AI.Engine.Runtime;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Runtime;

/// <summary>
/// Device selection. The CUDA cases describe a machine without a CUDA libtorch (the CPU libtorch this project bundles,
/// no PyTorch); on a machine where CUDA does come up they check the CUDA outcome instead.
/// </summary>
public class TorchRuntimeTests
{
    private static readonly Lazy<bool> s_cudaUsable = new(() => TorchRuntime.ResolveDevice(DevicePreference.Auto).type == DeviceType.CUDA);

    [Theory]
    [InlineData("cpu", DevicePreference.Cpu, 0)]
    [InlineData("CPU", DevicePreference.Cpu, 0)]
    [InlineData(" cpu ", DevicePreference.Cpu, 0)]
    [InlineData("cuda", DevicePreference.Cuda, 0)]
    [InlineData("CUDA", DevicePreference.Cuda, 0)]
    [InlineData("cuda:0", DevicePreference.Cuda, 0)]
    [InlineData("cuda:1", DevicePreference.Cuda, 1)]
    [InlineData("auto", DevicePreference.Auto, 0)]
    [InlineData("Auto", DevicePreference.Auto, 0)]
    [InlineData("", DevicePreference.Auto, 0)]
    [InlineData(null, DevicePreference.Auto, 0)]
    public void Parse_accepts_the_documented_device_names(string? text, DevicePreference preference, int index)
    {
        Assert.Equal((preference, index), TorchRuntime.Parse(text));
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("mps")]
    public void Parse_rejects_an_unknown_device_naming_it_and_the_valid_choices(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
        foreach (string choice in new[] { "cpu", "cuda", "cuda:N", "auto" }) Assert.Contains(choice, e.Message);
    }

    [Fact]
    public void Cpu_resolves_to_the_cpu_without_a_warning()
    {
        var logger = new RecordingLogger();
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice("cpu", logger).type);
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice(DevicePreference.Cpu, 0, logger).type);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public void Resolving_an_unknown_device_string_throws_ArgumentException()
    {
        Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("tpu"));
    }

    [Fact]
    public void Auto_falls_back_to_the_cpu_with_a_warning_when_cuda_is_unavailable()
    {
        var logger = new RecordingLogger();
        var device = TorchRuntime.ResolveDevice("auto", logger);
        if (s_cudaUsable.Value)
        {
            Assert.Equal(DeviceType.CUDA, device.type);
            Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
            return;
        }
        Assert.Equal(DeviceType.CPU, device.type);
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("CUDA not available", warning.Message);
        Assert.Contains("CPU", warning.Message);
    }

    [Fact]
    public void Cuda_without_a_cuda_libtorch_throws_saying_what_was_looked_for_and_how_to_fix_it()
    {
        if (s_cudaUsable.Value)
        {
            Assert.Equal(DeviceType.CUDA, TorchRuntime.ResolveDevice("cuda").type);
            return;
        }
        var e = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda"));
        AssertExplainsCudaProblem(e.Message);
        // Even when no candidate folder turned up, the message lists where it looked, not an empty list.
        var searched = Regex.Match(e.Message, @"Looked for a CUDA libtorch \(libtorch_cuda\.so\) in: (.*)\.\n");
        Assert.True(searched.Success, e.Message);
        Assert.NotEqual("", searched.Groups[1].Value.Trim());
        if (searched.Groups[1].Value.StartsWith("no candidate folder", StringComparison.Ordinal))
            foreach (string place in new[] { TorchRuntime.LibTorchEnvironmentVariable, "LD_LIBRARY_PATH", "python3", "/opt/conda" })
                Assert.Contains(place, searched.Groups[1].Value);
    }

    [Fact]
    public void Cuda_with_MERCURY_LIBTORCH_set_to_an_empty_folder_throws_naming_that_folder()
    {
        if (s_cudaUsable.Value) return; // CUDA already came up in this process; the variable is no longer consulted.
        string folder = Directory.CreateTempSubdirectory("mercury-libtorch-").FullName;
        string? saved = Environment.GetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable, folder);
            var e = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda"));
            AssertExplainsCudaProblem(e.Message);
            Assert.Contains($"{TorchRuntime.LibTorchEnvironmentVariable}: {folder}", e.Message);

            var logger = new RecordingLogger();
            Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice("auto", logger).type);
            Assert.Equal(LogLevel.Warning, Assert.Single(logger.Entries).Level);
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable, saved);
            Directory.Delete(folder, recursive: true);
        }
        Assert.Equal(saved, Environment.GetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable));
    }

    [Fact]
    public void Cuda_device_index_out_of_range_is_refused()
    {
        if (!s_cudaUsable.Value)
        {
            Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda:7"));
            return;
        }
        int count = cuda.device_count();
        var e = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice($"cuda:{count}"));
        Assert.Contains($"CUDA device {count}", e.Message);
    }

    private static void AssertExplainsCudaProblem(string message)
    {
        Assert.Contains("CUDA is not available", message);
        Assert.Contains("Looked for a CUDA libtorch (libtorch_cuda.so) in: ", message); // what was looked for
        Assert.Contains(TorchRuntime.LibTorchEnvironmentVariable, message);
        Assert.Contains("Fix:", message);                           // how to fix it
        Assert.Contains("pip install torch", message);
        Assert.Contains("-p:MercuryLibTorch=external", message);
    }
}
