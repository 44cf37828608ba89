using System.Globalization;
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

        int gpus = EpDevice.GpuCount;
        if (device.Ordinal >= gpus)
        {
            throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"Simulated ranks on {device} run the Staged engine, which needs that GPU, but this machine has {gpus} usable CUDA device(s) (world of {world.Ranks}, rank {rank}); run the simulation on EpDevice.Cpu (the Reference engine)."));
        }

        return StagedEngine.ForSimulatedRank(world, rank, device);
    }
#pragma warning restore CA1859
}
