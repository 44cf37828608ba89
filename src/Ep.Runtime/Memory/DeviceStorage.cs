using System;
using Ep.Interop.Cuda;

namespace Ep;

/// <summary>
/// GPU memory behind device tensors: one <c>cuMemAlloc</c> block, zero-filled at allocation. Host copies wait for all
/// work on the device first (<c>cuCtxSynchronize</c>), so a tensor read after an engine call always sees its result.
/// </summary>
internal sealed unsafe class DeviceStorage<T> : TensorStorage<T>
    where T : unmanaged
{
    private readonly ulong _pointer;
    private readonly IDisposable _owner;

    private DeviceStorage(EpDevice device, long length, ulong pointer, IDisposable owner)
        : base(device, length)
    {
        _pointer = pointer;
        _owner = owner;
    }

    /// <summary>Allocates zeroed memory on <paramref name="device"/> (making its context current on this thread).</summary>
    public static DeviceStorage<T> Allocate(EpDevice device, long length)
    {
        CudaDevice.Current(device.Ordinal);
        DeviceMemoryHandle memory = DeviceMemoryHandle.Allocate(length * sizeof(T));
        return Adopt(device, length, memory.Pointer, memory);
    }

    /// <summary>
    /// Takes over <paramref name="length"/> elements at <paramref name="pointer"/>, allocated by someone else (e.g.
    /// <c>ncclMemAlloc</c> for symmetric memory), zero-fills them, and releases <paramref name="owner"/> on dispose.
    /// </summary>
    public static DeviceStorage<T> Adopt(EpDevice device, long length, ulong pointer, IDisposable owner)
    {
        if (length > 0)
        {
            CudaException.ThrowIfFailed(CudaDriver.MemsetD8Async(pointer, 0, (nuint)(length * sizeof(T)), IntPtr.Zero));
            CudaException.ThrowIfFailed(CudaDriver.CtxSynchronize());
        }

        return new DeviceStorage<T>(device, length, pointer, owner);
    }

    /// <summary>Device address of element <paramref name="elementOffset"/>.</summary>
    public ulong Address(long elementOffset) => _pointer + (ulong)(elementOffset * sizeof(T));

    public override Span<T> HostSpan(long start, int count) =>
        throw new InvalidOperationException($"A {Device} tensor has no host view; copy it with CopyTo or ToArray.");

    public override void CopyToHost(long start, Span<T> destination)
    {
        RequireRange(start, destination.Length);
        CudaDevice.Current(Device.Ordinal);
        CudaException.ThrowIfFailed(CudaDriver.CtxSynchronize());
        fixed (T* host = destination)
        {
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoHAsync(host, Address(start), (nuint)(destination.Length * sizeof(T)), IntPtr.Zero));
        }

        CudaException.ThrowIfFailed(CudaDriver.CtxSynchronize());
    }

    public override void CopyFromHost(long start, ReadOnlySpan<T> source)
    {
        RequireRange(start, source.Length);
        CudaDevice.Current(Device.Ordinal);
        CudaException.ThrowIfFailed(CudaDriver.CtxSynchronize());
        fixed (T* host = source)
        {
            CudaException.ThrowIfFailed(CudaDriver.MemcpyHtoDAsync(Address(start), host, (nuint)(source.Length * sizeof(T)), IntPtr.Zero));
        }

        CudaException.ThrowIfFailed(CudaDriver.CtxSynchronize());
    }

    protected override void Release() => _owner.Dispose();

    private void RequireRange(long start, int count)
    {
        if (start < 0 || start + count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Elements [{start}, {start + count}) lie outside device storage of {Length}.");
        }
    }
}
