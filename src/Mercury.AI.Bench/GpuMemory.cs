using System.Runtime.InteropServices;

namespace Mercury.AI.Bench;

/// <summary>
/// Peak GPU memory in use while a setting runs, sampled every 20 ms through NVML (<c>libnvidia-ml.so.1</c>, part of
/// every NVIDIA driver): TorchSharp exposes no CUDA allocator statistics. Whole-device figures (what nvidia-smi shows,
/// the CUDA context included). Without NVML (a CPU machine) every figure is NaN.
/// </summary>
internal sealed class GpuMemory : IDisposable
{
    private readonly IntPtr _device;
    private readonly Thread? _thread;
    private volatile bool _stop;
    private long _peak = -1;

    private GpuMemory(IntPtr device)
    {
        _device = device;
        _thread = new Thread(Sample) { IsBackground = true, Name = "gpu-memory" };
        _thread.Start();
    }

    /// <summary>Starts sampling device <paramref name="index"/>; null when NVML is not there.</summary>
    public static GpuMemory? Start(int index)
    {
        try
        {
            if (nvmlInit_v2() != 0 || nvmlDeviceGetHandleByIndex_v2((uint)index, out var device) != 0) return null;
            return new GpuMemory(device);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The highest reading since the last call, in MiB, and starts a new window.</summary>
    public double TakePeakMb() => Interlocked.Exchange(ref _peak, Used()) / 1048576.0;

    private long Used() => nvmlDeviceGetMemoryInfo(_device, out var memory) == 0 ? (long)memory.Used : -1;

    private void Sample()
    {
        while (!_stop)
        {
            long used = Used();
            long seen;
            while (used > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, used, seen) != seen) { }
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
        nvmlShutdown();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    [DllImport("libnvidia-ml.so.1")] private static extern int nvmlInit_v2();
    [DllImport("libnvidia-ml.so.1")] private static extern int nvmlShutdown();
    [DllImport("libnvidia-ml.so.1")] private static extern int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);
    [DllImport("libnvidia-ml.so.1")] private static extern int nvmlDeviceGetMemoryInfo(IntPtr device, out NvmlMemory memory);
}
