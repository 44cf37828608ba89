using System.Globalization;
using Ep.Interop;
using Ep.Interop.Cuda;

namespace Ep.Bootstrap;

/// <summary>Picks this process's GPU: local rank modulo the visible device count, as NCCL EP's own tools do.</summary>
internal static class BootstrapDevice
{
    /// <summary>Makes the chosen device current on the calling thread (NCCL creates the communicator on it).</summary>
    /// <exception cref="EpNativeLibraryException">The CUDA driver library does not load (every path tried is listed).</exception>
    /// <exception cref="EpConfigurationException">The driver sees no device.</exception>
    public static EpDevice Select(EpLaunchEnvironment launch)
    {
        // Load explicitly so that a missing driver surfaces as the loader's exception, with every path tried.
        NativeLibraryLoader.Load(NativeLibraryCandidates.Cuda);
        CudaException.ThrowIfFailed(CudaDriver.Init(0));
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetCount(out int count));
        if (count == 0)
        {
            throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"Rank {launch.Rank} of {launch.WorldSize} found no CUDA device (check CUDA_VISIBLE_DEVICES); a multi-process group needs one GPU per rank."));
        }

        int ordinal = launch.LocalRank % count;
        CudaDevice.Current(ordinal);
        return EpDevice.Gpu(ordinal);
    }
}
