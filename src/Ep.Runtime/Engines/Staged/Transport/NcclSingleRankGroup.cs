using System;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// A world of one process over a real NCCL communicator: <c>ncclGetUniqueId</c> + <c>ncclCommInitRank</c> with one
/// rank, and a group running the Staged engine over it. A one-rank world needs no rendezvous, so the GPU tests use it
/// to run the NCCL transport (AllGather, grouped send/recv to self) on a machine with one GPU.
/// </summary>
internal static class NcclSingleRankGroup
{
    /// <summary>Creates the communicator on <paramref name="device"/> and a group that owns it (disposing the group ends it).</summary>
    public static EpGroup Create(EpDevice device)
    {
        if (device.IsCpu)
        {
            throw new ArgumentException("NCCL needs a GPU.", nameof(device));
        }

        // NCCL binds the communicator to the current device: make its primary context current on this thread first.
        CudaDevice.Current(device.Ordinal);
        NcclException.ThrowIfFailed(Nccl.GetUniqueId(out NcclUniqueId id));
        NcclException.ThrowIfFailed(Nccl.CommInitRank(out IntPtr communicator, 1, id, 0));
        StagedEngine engine;
        try
        {
            engine = StagedEngine.ForCommunicator(communicator, rank: 0, worldSize: 1, device, ownsCommunicator: true);
        }
        catch
        {
            _ = Nccl.CommDestroy(communicator);
            throw;
        }

        return new EpGroup(0, 1, device, engine);
    }
}
