using System;
using Ep.Interop.Cuda;

namespace Ep.Bench.Kernels;

/// <summary>The compiler's resource report for one kernel, read from the loaded function, and its occupancy at 256 threads.</summary>
/// <param name="Registers">Registers per thread (CU_FUNC_ATTRIBUTE_NUM_REGS).</param>
/// <param name="StaticSharedBytes">Static shared memory per block (CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES).</param>
/// <param name="LocalBytes">Local memory per thread (CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES): non-zero means spills or stack arrays.</param>
/// <param name="MaxThreadsPerBlock">Largest block the function can launch with (CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK).</param>
/// <param name="BlocksPerMultiprocessor">Resident blocks of 256 threads per SM (cuOccupancyMaxActiveBlocksPerMultiprocessor).</param>
/// <param name="Occupancy">Resident threads ÷ the SM's maximum threads, 0..1.</param>
internal sealed record KernelResources(int Registers, int StaticSharedBytes, int LocalBytes, int MaxThreadsPerBlock, int BlocksPerMultiprocessor, double Occupancy)
{
    /// <summary>Threads per block of every Ep kernel (EP_THREADS).</summary>
    public const int ThreadsPerBlock = 256;

    /// <summary>Reads <paramref name="function"/>'s attributes on <paramref name="device"/> (its context current).</summary>
    public static KernelResources Read(IntPtr function, CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        int Attribute(CudaFunctionAttribute attribute)
        {
            CudaException.ThrowIfFailed(CudaDriver.FuncGetAttribute(out int value, attribute, function));
            return value;
        }

        CudaException.ThrowIfFailed(CudaDriver.OccupancyMaxActiveBlocksPerMultiprocessor(out int blocks, function, ThreadsPerBlock, 0));
        int maxThreads = device.Attribute(CudaDeviceAttribute.MaxThreadsPerMultiprocessor);
        return new KernelResources(Attribute(CudaFunctionAttribute.NumRegs), Attribute(CudaFunctionAttribute.SharedSizeBytes),
            Attribute(CudaFunctionAttribute.LocalSizeBytes), Attribute(CudaFunctionAttribute.MaxThreadsPerBlock), blocks,
            maxThreads > 0 ? (double)blocks * ThreadsPerBlock / maxThreads : 0);
    }
}
