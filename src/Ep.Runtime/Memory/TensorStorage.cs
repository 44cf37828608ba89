using System;

namespace Ep;

/// <summary>
/// The memory behind one or more <see cref="DeviceTensor{T}"/> views. Host storage is a managed array;
/// device storage (the GPU engines) derives from this and owns a device pointer.
/// </summary>
internal abstract class TensorStorage<T> : IDisposable
    where T : unmanaged
{
    protected TensorStorage(EpDevice device, long length)
    {
        Device = device;
        Length = length;
    }

    public EpDevice Device { get; }

    /// <summary>Elements of <typeparamref name="T"/>.</summary>
    public long Length { get; }

    public bool IsDisposed { get; private set; }

    /// <summary>Host view of elements [start, start + count); only host storage has one.</summary>
    public abstract Span<T> HostSpan(long start, int count);

    /// <summary>Copies elements [start, start + destination.Length) to host memory, after pending device work.</summary>
    public virtual void CopyToHost(long start, Span<T> destination) => HostSpan(start, destination.Length).CopyTo(destination);

    /// <summary>Copies host elements over [start, start + source.Length).</summary>
    public virtual void CopyFromHost(long start, ReadOnlySpan<T> source) => source.CopyTo(HostSpan(start, source.Length));

    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            Release();
        }
    }

    protected abstract void Release();
}

/// <summary>Host memory for the Reference engine and for staging.</summary>
internal sealed class HostStorage<T> : TensorStorage<T>
    where T : unmanaged
{
    private T[]? _data;

    public HostStorage(T[] data)
        : base(EpDevice.Cpu, data.LongLength) => _data = data;

    public override Span<T> HostSpan(long start, int count)
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        return _data.AsSpan(checked((int)start), count);
    }

    protected override void Release() => _data = null;
}
