using System;
using System.Globalization;
using Ep.Interop;
using Ep.Interop.Cuda;

namespace Ep;

/// <summary>
/// A fixed-size page-locked host array for the small tables an engine moves every step (layout tables up, routing
/// records down). Allocated once per layer: an upload from it is one DMA with no staging copy on the calling thread,
/// and a read-back lands in it with no managed allocation.
/// </summary>
/// <remarks>
/// An upload is asynchronous: the caller must not rewrite the elements until the stream has run the copy. The engines
/// rely on their per-step host wait (the routing gather reads back on the same stream before the next upload).
/// </remarks>
internal sealed unsafe class PinnedHostBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly PinnedHostMemoryHandle _memory;

    /// <summary>Allocates <paramref name="length"/> elements (the current context's device must be current).</summary>
    public PinnedHostBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _memory = PinnedHostMemoryHandle.Allocate((long)length * sizeof(T));
    }

    public int Length { get; }

    /// <summary>The elements, writable from the host.</summary>
    public Span<T> Span => Length == 0 ? Span<T>.Empty : new Span<T>((void*)_memory.Pointer, Length);

    /// <summary>Queues a copy of the first <paramref name="count"/> elements to device address <paramref name="destination"/> on <paramref name="stream"/>.</summary>
    public void Upload(int count, ulong destination, CudaStreamHandle stream)
    {
        RequireCount(count);
        if (count > 0)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            CudaException.ThrowIfFailed(CudaDriver.MemcpyHtoDAsync(destination, (void*)_memory.Pointer, (nuint)(count * sizeof(T)), stream.DangerousGetHandle()));
        }
    }

    /// <summary>Copies <paramref name="count"/> elements from device address <paramref name="source"/> on <paramref name="stream"/>, waits, and returns them.</summary>
    public ReadOnlySpan<T> Download(ulong source, int count, CudaStreamHandle stream)
    {
        DownloadAsync(source, count, stream);
        if (count > 0)
        {
            stream.Synchronize();
        }

        return Span[..count];
    }

    /// <summary>
    /// Queues a copy of <paramref name="count"/> elements from device address <paramref name="source"/> on
    /// <paramref name="stream"/> and returns at once: the elements are valid once the stream has run it.
    /// </summary>
    public void DownloadAsync(ulong source, int count, CudaStreamHandle stream)
    {
        RequireCount(count);
        if (count > 0)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoHAsync((void*)_memory.Pointer, source, (nuint)(count * sizeof(T)), stream.DangerousGetHandle()));
        }
    }

    public void Dispose() => _memory.Dispose();

    private void RequireCount(int count)
    {
        if (count < 0 || count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count),
                string.Create(CultureInfo.InvariantCulture, $"count must be in [0, {Length}] (the buffer's length); got {count}."));
        }
    }
}
