using System;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// A world of one process over a real NCCL communicator: <c>ncclGetUniqueId</c> + <c>ncclCommInitRank</c> with one
/// rank, and a group running an engine over it. A one-rank world needs no rendezvous, so the GPU tests use it to run
/// the NCCL paths (the Staged transport's AllGather and grouped send/recv to self, NCCL EP) on a machine with one GPU.
/// </summary>
internal static class NcclSingleRankGroup
{
    /// <summary>A group running the Staged engine, which owns the communicator (disposing the group ends it).</summary>
    public static EpGroup Create(EpDevice device)
    {
        NcclUniqueId id = UniqueId(device);
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

    /// <summary>
    /// A group whose engine <paramref name="engine"/> builds over the communicator (borrowing it, as from
    /// <see cref="EpGroup.FromCommunicator"/>). The group owns the communicator and destroys it after the engine.
    /// </summary>
    public static EpGroup Create(EpDevice device, Func<IntPtr, IEpEngine> engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        NcclCommunicatorHandle communicator = NcclCommunicatorHandle.InitRank(1, UniqueId(device), 0);
        try
        {
            IntPtr handle = communicator.DangerousGetHandle();
            return new EpGroup(0, 1, device, engine(handle), handle, communicator);
        }
        catch
        {
            communicator.Dispose();
            throw;
        }
    }

    /// <summary>A group over a one-rank communicator with the engine <see cref="EpGroup.FromCommunicator"/> would choose (Auto).</summary>
    public static EpGroup CreateAuto(EpDevice device) =>
        Create(device, communicator => EpEngineFactory.ForCommunicator(communicator, rank: 0, worldSize: 1, device));

    /// <summary>Makes <paramref name="device"/> current and creates the id of a new communicator on it.</summary>
    private static NcclUniqueId UniqueId(EpDevice device)
    {
        if (device.IsCpu)
        {
            throw new ArgumentException("NCCL needs a GPU.", nameof(device));
        }

        // NCCL binds the communicator to the current device: make its primary context current on this thread first.
        CudaDevice.Current(device.Ordinal);
        NcclException.ThrowIfFailed(Nccl.GetUniqueId(out NcclUniqueId id));
        return id;
    }
}
