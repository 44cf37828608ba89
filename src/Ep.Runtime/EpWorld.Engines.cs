using System.Globalization;

namespace Ep;

public static partial class EpWorld
{
    // The engine each simulated rank runs: the Reference engine on the CPU. The Staged engine (ranks simulated on one
    // GPU, exchanging rows by device copies) plugs in here for GPU devices.
#pragma warning disable CA1859 // The Staged engine will be returned here too: the seam's type is the interface.
    private static IEpEngine CreateEngine(SimulatedWorld world, int rank, EpDevice device)
    {
        if (device.IsCpu)
        {
            return new ReferenceEngine(world, rank);
        }

        throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
            $"Simulated ranks on {device} need the Staged engine for simulated ranks on a GPU, which is not available in this build (world of {world.Ranks}, rank {rank}); run the simulation on EpDevice.Cpu (the Reference engine)."));
    }
#pragma warning restore CA1859
}
