using Ep.Engines.Staged;

namespace Ep;

public static partial class EpWorld
{
    // The engine each simulated rank runs. The Reference engine (CPU) and the Staged engine (one GPU) plug in here.
#pragma warning disable CA1859 // The seam returns the interface: more than one engine plugs in here.
    private static IEpEngine CreateEngine(SimulatedWorld world, int rank, EpDevice device)
    {
        if (!device.IsCpu)
        {
            return new StagedEngine(world, rank, device);
        }

        throw new EpConfigurationException($"No engine runs simulated ranks on {device} yet (world of {world.Ranks}, rank {rank}).");
    }
#pragma warning restore CA1859
}
