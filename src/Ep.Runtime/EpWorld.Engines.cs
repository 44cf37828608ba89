namespace Ep;

public static partial class EpWorld
{
    // The engine each simulated rank runs. The Reference engine (CPU) and the Staged engine (one GPU) plug in here.
    private static IEpEngine CreateEngine(SimulatedWorld world, int rank, EpDevice device) =>
        throw new EpConfigurationException($"No engine runs simulated ranks on {device} yet (world of {world.Ranks}, rank {rank}).");
}
