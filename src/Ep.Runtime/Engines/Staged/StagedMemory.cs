using System;
using Ep.Interop;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>Device addresses of tensors, and the stream-ordered copies and fills the engine issues on one rank's stream.</summary>
internal static unsafe class StagedMemory
{
    /// <summary>Device address of row 0 of <paramref name="tensor"/>; 0 for null (kernels treat 0 as "not given").</summary>
    public static ulong Address<T>(DeviceTensor<T>? tensor)
        where T : unmanaged
    {
        if (tensor is null)
        {
            return 0;
        }

        return tensor.Storage is DeviceStorage<T> storage
            ? storage.Address(tensor.Offset)
            : throw new ArgumentException($"The Staged engine needs GPU tensors; got {tensor}.", nameof(tensor));
    }

    /// <summary>Address of element <paramref name="element"/> of <paramref name="tensor"/>.</summary>
    public static ulong Address<T>(DeviceTensor<T> tensor, long element)
        where T : unmanaged => Address(tensor) + (ulong)(element * sizeof(T));

    /// <summary>Copies <paramref name="count"/> elements to the host on <paramref name="stream"/> and waits for them.</summary>
    public static T[] Download<T>(ulong source, int count, CudaStreamHandle stream)
        where T : unmanaged
    {
        var host = new T[count];
        if (count == 0)
        {
            return host;
        }

        fixed (T* destination = host)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoHAsync(destination, source, (nuint)(count * sizeof(T)), stream.DangerousGetHandle()));
        }

        stream.Synchronize();
        return host;
    }

    /// <summary>
    /// Copies host values to the device on <paramref name="stream"/>. The driver stages pageable memory before it
    /// returns, so <paramref name="values"/> may be reused at once.
    /// </summary>
    public static void Upload<T>(ReadOnlySpan<T> values, ulong destination, CudaStreamHandle stream)
        where T : unmanaged
    {
        if (values.IsEmpty)
        {
            return;
        }

        fixed (T* source = values)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            CudaException.ThrowIfFailed(CudaDriver.MemcpyHtoDAsync(destination, source, (nuint)(values.Length * sizeof(T)), stream.DangerousGetHandle()));
        }
    }

    public static void Copy(ulong destination, ulong source, long bytes, CudaStreamHandle stream)
    {
        if (bytes > 0)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoDAsync(destination, source, (nuint)bytes, stream.DangerousGetHandle()));
        }
    }

    /// <summary>Fills <paramref name="words"/> 32-bit words with <paramref name="value"/>.</summary>
    public static void Fill(ulong destination, uint value, long words, CudaStreamHandle stream)
    {
        if (words > 0)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(destination, value, (nuint)words, stream.DangerousGetHandle()));
        }
    }
}
