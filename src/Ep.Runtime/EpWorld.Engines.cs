using Ep.Engines.Staged;

namespace Ep;

public static partial class EpWorld
{
    // The engine each simulated rank runs: the Reference engine on the CPU, the Staged engine (ranks simulated on one
    // GPU, exchanging rows by device copies) on a GPU.
#pragma warning disable CA1859 // Two engines plug in here: the seam's type is the interface.
    private static IEpEngine CreateEngine(SimulatedWorld world, int rank, EpDevice device)
    {
        if (device.IsCpu)
        {
            return new ReferenceEngine(world, rank);
        }

        return new StagedEngine(world, rank, device);
    }
#pragma warning restore CA1859
}
