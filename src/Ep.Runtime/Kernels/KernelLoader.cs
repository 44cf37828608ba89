using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using Ep.Interop.Cuda;

namespace Ep.Kernels;

/// <summary>How a module was obtained, for logs and the benchmark's compile-time report.</summary>
internal enum KernelOrigin
{
    Compiled,
    DiskCache,
}

/// <summary>A loaded kernel module and its functions, looked up once each.</summary>
internal sealed class KernelModule : IDisposable
{
    private readonly CudaModuleHandle _module;
    private readonly ConcurrentDictionary<string, IntPtr> _functions = new();

    public KernelModule(CudaModuleHandle module, KernelOrigin origin, TimeSpan loadTime, string cachePath)
    {
        _module = module;
        Origin = origin;
        LoadTime = loadTime;
        CachePath = cachePath;
    }

    public KernelOrigin Origin { get; }

    /// <summary>Compile (or cache read) plus module load.</summary>
    public TimeSpan LoadTime { get; }

    public string CachePath { get; }

    /// <summary>The kernel <paramref name="name"/>: looked up once, then read without allocating (launches run on every call).</summary>
    public IntPtr Function(string name) => _functions.GetOrAdd(name, static (n, module) => module.GetFunction(n), _module);

    public void Dispose() => _module.Dispose();
}

/// <summary>Gets a layer's kernels for a device: from the disk cache when present, else NVRTC (and then the cache).</summary>
internal static class KernelLoader
{
    public static KernelModule Load(string source, string programName, CudaDevice device, KernelCache cache)
    {
        var started = Stopwatch.GetTimestamp();
        (int major, int minor) = NvrtcCompiler.Version();
        var key = new KernelCacheKey(source, device.Architecture, major, minor, NvrtcCompiler.Options(device.Architecture));
        byte[]? cubin = cache.TryRead(key);
        KernelOrigin origin = KernelOrigin.DiskCache;
        if (cubin is null)
        {
            cubin = NvrtcCompiler.Compile(source, programName, device.Architecture);
            cache.Write(key, cubin);
            origin = KernelOrigin.Compiled;
        }

        device.MakeCurrent();
        CudaModuleHandle module = CudaModuleHandle.Load(cubin);
        return new KernelModule(module, origin, Stopwatch.GetElapsedTime(started), cache.PathOf(key));
    }
}
