using System;
using Ep.Interop;
using Ep.Interop.NcclEp;

namespace Ep.Bench.Engines;

/// <summary>Whether an engine can run on this machine, checked before anything is allocated: null, or the reason it cannot.</summary>
internal static class EngineAvailability
{
    /// <summary>The reason <paramref name="engine"/> cannot run here, or null when it can.</summary>
    public static string? Problem(BenchEngine engine)
    {
        if (engine == BenchEngine.Reference)
        {
            return null;
        }

        if (EpDevice.GpuCount == 0)
        {
            return "no CUDA device (or no CUDA driver) on this machine";
        }

        if (engine != BenchEngine.NcclEp)
        {
            return null;
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("EP_NCCL_EP_LIBRARY")))
        {
            return "EP_NCCL_EP_LIBRARY is not set (point it at libnccl_ep.so.0, and EP_NCCL_LIBRARY at the libnccl.so.2 it was built with)";
        }

        try
        {
            return NcclEpVersions.Read().Problem();
        }
        catch (EpNativeLibraryException e)
        {
            return e.Message;
        }
    }
}
