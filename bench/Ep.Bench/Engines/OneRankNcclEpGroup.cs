using System;
using Ep.Engines.NcclEp;
using Ep.Interop;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Bench.Engines;

/// <summary>
/// A one-rank NCCL communicator on GPU 0 and a group on the NcclEp engine over it (as the GPU tests build one). The engine
/// is forced: a layer NCCL EP cannot take is refused with its reasons instead of silently running on Staged.
/// </summary>
internal sealed class OneRankNcclEpGroup : IDisposable
{
    private readonly IntPtr _communicator;

    /// <summary>Creates the communicator and the group.</summary>
    public OneRankNcclEpGroup()
    {
        CudaDevice.Current(0);
        NativeLibraryLoader.Load(NativeLibraryCandidates.Nccl);
        NcclException.ThrowIfFailed(Nccl.GetUniqueId(out NcclUniqueId id));
        NcclException.ThrowIfFailed(Nccl.CommInitRank(out _communicator, 1, id, 0));
        try
        {
            Group = new EpGroup(0, 1, EpDevice.Gpu(0), new NcclEpEngine(_communicator, 0, 1, EpDevice.Gpu(0), stagedForUnfitLayers: false));
        }
        catch
        {
            Nccl.CommDestroy(_communicator);
            throw;
        }
    }

    /// <summary>The group (rank 0 of 1).</summary>
    public EpGroup Group { get; }

    /// <summary>Disposes the group, then destroys the communicator.</summary>
    public void Dispose()
    {
        Group.Dispose();
        NcclException.ThrowIfFailed(Nccl.CommDestroy(_communicator));
    }
}
