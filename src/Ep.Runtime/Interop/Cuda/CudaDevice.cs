using System;
using System.Globalization;
using System.Text;
using System.Threading;

namespace Ep.Interop.Cuda;

/// <summary>
/// One CUDA device, used through its primary context (the context the CUDA runtime and NCCL also use, so
/// memory and streams are shared with them). Threads that call the driver make it current first.
/// </summary>
internal sealed class CudaDevice : IDisposable
{
    private static int s_initialized;
    private readonly IntPtr _context;
    private int _disposed;

    private CudaDevice(int ordinal, int device, IntPtr context)
    {
        Ordinal = ordinal;
        Handle = device;
        _context = context;
        Name = ReadName(device);
        ComputeMajor = Attribute(CudaDeviceAttribute.ComputeCapabilityMajor);
        ComputeMinor = Attribute(CudaDeviceAttribute.ComputeCapabilityMinor);
        MultiprocessorCount = Attribute(CudaDeviceAttribute.MultiprocessorCount);
    }

    public int Ordinal { get; }

    public int Handle { get; }

    public string Name { get; }

    public int ComputeMajor { get; }

    public int ComputeMinor { get; }

    public int MultiprocessorCount { get; }

    /// <summary>NVRTC's architecture name, e.g. <c>sm_90</c>.</summary>
    public string Architecture => string.Create(CultureInfo.InvariantCulture, $"sm_{ComputeMajor}{ComputeMinor}");

    /// <summary>Number of CUDA devices, or 0 when there is no driver or no device (never throws).</summary>
    public static int Count()
    {
        if (!NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Cuda, out _, out _))
        {
            return 0;
        }

        try
        {
            if (CudaDriver.Init(0) != CudaResult.Success || CudaDriver.DeviceGetCount(out int count) != CudaResult.Success)
            {
                return 0;
            }

            return count;
        }
        catch (EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Retains device <paramref name="ordinal"/>'s primary context and makes it current on this thread.</summary>
    public static CudaDevice Open(int ordinal)
    {
        if (Interlocked.Exchange(ref s_initialized, 1) == 0)
        {
            CudaException.ThrowIfFailed(CudaDriver.Init(0));
        }

        CudaException.ThrowIfFailed(CudaDriver.DeviceGetCount(out int count));
        if (ordinal < 0 || ordinal >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"This machine has {count} CUDA device(s).");
        }

        CudaException.ThrowIfFailed(CudaDriver.DeviceGet(out int device, ordinal));
        CudaException.ThrowIfFailed(CudaDriver.DevicePrimaryCtxRetain(out IntPtr context, device));
        CudaException.ThrowIfFailed(CudaDriver.CtxSetCurrent(context));
        return new CudaDevice(ordinal, device, context);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Lazy<CudaDevice>> Shared = new();

    /// <summary>
    /// The process-wide handle of device <paramref name="ordinal"/>, made current on the calling thread. Its primary
    /// context stays retained for the life of the process, as the CUDA runtime's does.
    /// </summary>
    public static CudaDevice Current(int ordinal)
    {
        CudaDevice device = Shared.GetOrAdd(ordinal, o => new Lazy<CudaDevice>(() => Open(o))).Value;
        device.MakeCurrent();
        return device;
    }

    /// <summary>The primary context (<c>CUcontext</c>): conditional graph nodes name the context their body runs in.</summary>
    public IntPtr Context => _context;

    /// <summary>Makes this device's context current on the calling thread (each simulated rank is its own thread).</summary>
    public void MakeCurrent()
    {
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.CtxSetCurrent(_context));
    }

    public int Attribute(CudaDeviceAttribute attribute)
    {
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetAttribute(out int value, attribute, Handle));
        return value;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CudaDriver.DevicePrimaryCtxRelease(Handle);
        }
    }

    private static unsafe string ReadName(int device)
    {
        byte* buffer = stackalloc byte[256];
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetName(buffer, 256, device));
        int length = 0;
        while (length < 256 && buffer[length] != 0)
        {
            length++;
        }

        return Encoding.UTF8.GetString(buffer, length);
    }
}
