using System;

namespace Ep;

/// <summary>
/// A tensor in symmetric memory: allocated collectively by <see cref="EpGroup.AllocateSymmetric{T}(int, int)"/>
/// at the same offset of one registered window on every rank, so peers can write into it directly (zero-copy).
/// Layers declared <c>ZeroCopy = true</c> take this type where peers write, so passing a plain buffer does not compile.
/// </summary>
public sealed class SymmetricTensor<T> : DeviceTensor<T>
    where T : unmanaged
{
    internal SymmetricTensor(TensorStorage<T> storage, long offset, int rows, int columns, int dimensions, bool ownsStorage,
        SymmetricWindow window, long windowOffsetBytes)
        : base(storage, offset, rows, columns, dimensions, ownsStorage)
    {
        Window = window;
        WindowOffsetBytes = windowOffsetBytes;
    }

    /// <summary>The registered window this tensor lies in.</summary>
    public SymmetricWindow Window { get; }

    /// <summary>Byte offset of row 0 within <see cref="Window"/>, equal on every rank.</summary>
    public long WindowOffsetBytes { get; }

    /// <summary>A symmetric view of rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
    public new SymmetricTensor<T> SliceRows(int start, int count)
    {
        DeviceTensor<T> view = base.SliceRows(start, count);
        long shiftBytes = (view.Offset - Offset) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        return new SymmetricTensor<T>(Storage, view.Offset, view.Rows, Columns, Dimensions, ownsStorage: false,
            Window, WindowOffsetBytes + shiftBytes);
    }
}

/// <summary>
/// One collectively registered memory window (NCCL's <c>ncclWindow_t</c> on GPUs; a simulated world's shared
/// allocation on the CPU). Identified by <see cref="Id"/>, which is the same on every rank.
/// </summary>
public sealed class SymmetricWindow
{
    internal SymmetricWindow(long id, long sizeBytes, IntPtr nativeHandle)
    {
        Id = id;
        SizeBytes = sizeBytes;
        NativeHandle = nativeHandle;
    }

    /// <summary>Collective allocation number, equal on every rank of the group.</summary>
    public long Id { get; }

    /// <summary>Bytes in the window.</summary>
    public long SizeBytes { get; }

    /// <summary>The native window handle (<c>ncclWindow_t</c>), or zero for host memory.</summary>
    public IntPtr NativeHandle { get; }
}
