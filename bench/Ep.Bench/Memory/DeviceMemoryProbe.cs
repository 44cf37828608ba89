using Ep.Interop.Cuda;

namespace Ep.Bench.Memory;

/// <summary>Device memory in use on the current context's GPU (total − free), after every stream of the context has finished.</summary>
internal static class DeviceMemoryProbe
{
    /// <summary>Bytes in use now; the calling thread's context must be current.</summary>
    public static long UsedBytes()
    {
        // Synchronise first: frees and allocations queued behind work are only visible once it has run.
        CudaException.ThrowIfFailed(CudaDriver.CtxSynchronize());
        CudaException.ThrowIfFailed(CudaDriver.MemGetInfo(out nuint free, out nuint total));
        return (long)(total - free);
    }
}
