using System;
using Microsoft.Win32.SafeHandles;

namespace Ep.Interop.Cuda;

/// <summary>An owned <c>CUstream</c>.</summary>
internal sealed class CudaStreamHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public CudaStreamHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Creates a non-blocking stream (it does not synchronise with the legacy default stream).</summary>
    public static CudaStreamHandle Create()
    {
        const uint NonBlocking = 0x1;
        CudaException.ThrowIfFailed(CudaDriver.StreamCreate(out IntPtr stream, NonBlocking));
        var handle = new CudaStreamHandle();
        handle.SetHandle(stream);
        return handle;
    }

    public void Synchronize()
    {
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.StreamSynchronize(handle));
    }

    protected override bool ReleaseHandle() => CudaDriver.StreamDestroy(handle) == CudaResult.Success;
}

/// <summary>An owned <c>CUevent</c>.</summary>
internal sealed class CudaEventHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public CudaEventHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Creates an event; timing events cost a little more, so ordering-only events skip it.</summary>
    public static CudaEventHandle Create(bool timing)
    {
        const uint DisableTiming = 0x2;
        CudaException.ThrowIfFailed(CudaDriver.EventCreate(out IntPtr cudaEvent, timing ? 0u : DisableTiming));
        var handle = new CudaEventHandle();
        handle.SetHandle(cudaEvent);
        return handle;
    }

    public void Record(CudaStreamHandle stream)
    {
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.EventRecord(handle, stream.DangerousGetHandle()));
    }

    /// <summary>
    /// While <paramref name="stream"/> is being captured: records this event as a node of the graph
    /// (<c>CU_EVENT_RECORD_EXTERNAL</c>), so every replay records it — a plain record there only orders the capture.
    /// </summary>
    public void RecordInCapture(CudaStreamHandle stream)
    {
        const uint External = 0x1;
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.EventRecordWithFlags(handle, stream.DangerousGetHandle(), External));
    }

    public void Synchronize()
    {
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.EventSynchronize(handle));
    }

    /// <summary>Milliseconds from <paramref name="start"/> to this event; both must have completed.</summary>
    public float ElapsedSince(CudaEventHandle start)
    {
        CudaException.ThrowIfFailed(CudaDriver.EventElapsedTime(out float milliseconds, start.DangerousGetHandle(), handle));
        return milliseconds;
    }

    protected override bool ReleaseHandle() => CudaDriver.EventDestroy(handle) == CudaResult.Success;
}

/// <summary>An owned <c>CUmodule</c> loaded from a cubin.</summary>
internal sealed class CudaModuleHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public CudaModuleHandle()
        : base(ownsHandle: true)
    {
    }

    public static unsafe CudaModuleHandle Load(ReadOnlySpan<byte> cubin)
    {
        fixed (byte* image = cubin)
        {
            CudaException.ThrowIfFailed(CudaDriver.ModuleLoadData(out IntPtr module, image));
            var handle = new CudaModuleHandle();
            handle.SetHandle(module);
            return handle;
        }
    }

    /// <summary>The <c>extern "C"</c> kernel <paramref name="name"/>.</summary>
    public IntPtr GetFunction(string name)
    {
        CudaException.ThrowIfFailed(CudaDriver.ModuleGetFunction(out IntPtr function, handle, name));
        return function;
    }

    protected override bool ReleaseHandle() => CudaDriver.ModuleUnload(handle) == CudaResult.Success;
}

/// <summary>Owned device memory from <c>cuMemAlloc</c>; the handle value is the <c>CUdeviceptr</c>.</summary>
internal sealed class DeviceMemoryHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DeviceMemoryHandle()
        : base(ownsHandle: true)
    {
    }

    public ulong Pointer => (ulong)handle;

    public long Bytes { get; private set; }

    public static DeviceMemoryHandle Allocate(long bytes)
    {
        var memory = new DeviceMemoryHandle { Bytes = bytes };
        if (bytes == 0)
        {
            // cuMemAlloc rejects 0 bytes; an empty tensor needs no memory and its pointer is never read.
            return memory;
        }

        CudaException.ThrowIfFailed(CudaDriver.MemAlloc(out ulong pointer, (nuint)bytes));
        memory.SetHandle(unchecked((nint)pointer));
        return memory;
    }

    protected override bool ReleaseHandle() => CudaDriver.MemFree(Pointer) == CudaResult.Success;
}

/// <summary>
/// Page-locked host memory from <c>cuMemAllocHost</c>: copies from it are true DMA transfers that return at once,
/// where a copy from pageable memory is first staged by the driver on the calling thread.
/// </summary>
internal sealed class PinnedHostMemoryHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public PinnedHostMemoryHandle()
        : base(ownsHandle: true)
    {
    }

    public IntPtr Pointer => handle;

    public static PinnedHostMemoryHandle Allocate(long bytes)
    {
        var memory = new PinnedHostMemoryHandle();
        if (bytes == 0)
        {
            return memory;
        }

        CudaException.ThrowIfFailed(CudaDriver.MemAllocHost(out IntPtr pointer, (nuint)bytes));
        memory.SetHandle(pointer);
        return memory;
    }

    protected override bool ReleaseHandle() => CudaDriver.MemFreeHost(handle) == CudaResult.Success;
}
