using System;
using Ep.Interop.Cuda;

namespace Ep.Gpu.Tests;

/// <summary>Small synchronous upload/download helpers for tests of the raw bindings.</summary>
internal static unsafe class DeviceBuffers
{
    public static DeviceMemoryHandle Upload<T>(ReadOnlySpan<T> host, CudaStreamHandle stream)
        where T : unmanaged
    {
        var memory = DeviceMemoryHandle.Allocate((long)host.Length * sizeof(T));
        fixed (T* source = host)
        {
            CudaException.ThrowIfFailed(CudaDriver.MemcpyHtoDAsync(memory.Pointer, source, (nuint)memory.Bytes, stream.DangerousGetHandle()));
        }

        stream.Synchronize();
        return memory;
    }

    public static T[] Download<T>(DeviceMemoryHandle memory, int count, CudaStreamHandle stream)
        where T : unmanaged
    {
        var host = new T[count];
        fixed (T* destination = host)
        {
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoHAsync(destination, memory.Pointer, (nuint)(count * sizeof(T)), stream.DangerousGetHandle()));
        }

        stream.Synchronize();
        return host;
    }
}
