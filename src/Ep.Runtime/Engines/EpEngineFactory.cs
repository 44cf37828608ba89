using System;
using System.Globalization;

namespace Ep;

/// <summary>
/// The one place that picks the engine for a group whose ranks are processes joined by an NCCL communicator
/// (<see cref="EpGroup.FromEnvironment()"/>, <see cref="EpGroup.FromCommunicator(IntPtr, EpDevice)"/>).
/// </summary>
internal static class EpEngineFactory
{
    /// <summary>
    /// The engine for this rank of <paramref name="communicator"/>. The Staged engine over NCCL and the NcclEp engine plug
    /// in here; until one of them is in the build, this refuses clearly rather than run something that is not an engine.
    /// </summary>
    /// <exception cref="EpConfigurationException">Always, in this build: no multi-process engine is available.</exception>
#pragma warning disable CA1859 // Staged and NcclEp will both be returned here: the seam's type is the interface.
    internal static IEpEngine ForCommunicator(IntPtr communicator, int rank, int worldSize, EpDevice device)
#pragma warning restore CA1859
    {
        throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
            $"No multi-process engine is available in this build: rank {rank} of {worldSize} on {device} has an NCCL communicator (0x{communicator:x}), but a group across processes needs the Staged engine over NCCL (grouped send/recv) or the NcclEp engine (libnccl_ep.so, NCCL >= 2.30.3, sm_90+), and neither is built in yet. Until then, run ranks as threads of one process with EpWorld.RunSimulated."));
    }
}
