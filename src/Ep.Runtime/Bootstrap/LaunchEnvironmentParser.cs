using System.Globalization;
using V = Ep.Bootstrap.EpLaunchVariables;

namespace Ep.Bootstrap;

/// <summary>Turns launch variables into an <see cref="EpLaunchEnvironment"/> (priority order in its remarks).</summary>
internal static class LaunchEnvironmentParser
{
    private const string Loopback = "127.0.0.1";
    private const int MaxRanks = 1 << 20;

    private readonly record struct Placement(
        EpLauncherKind Launcher,
        int Rank, string RankSource,
        int WorldSize, string WorldSizeSource,
        int LocalRank, string LocalRankSource,
        int LocalWorldSize, string LocalWorldSizeSource);

    public static EpLaunchEnvironment Parse(LaunchVariableReader read)
    {
        // One launcher supplies all of rank, world and local rank: mixing, say, EP_RANK with SLURM_NTASKS would pair
        // values from two different launches.
        Placement placement = read.IsSet(V.Rank) ? FromEp(read)
            : read.IsSet(V.OmpiRank) ? FromOpenMpi(read)
            : read.IsSet(V.SlurmProcId) ? FromSlurm(read)
            : SingleProcess(read);

        (string address, string addressSource) = MasterAddress(read, placement);
        (int port, string portSource) = MasterPort(read, placement.Launcher);
        return new EpLaunchEnvironment
        {
            Launcher = placement.Launcher,
            Rank = placement.Rank,
            RankSource = placement.RankSource,
            WorldSize = placement.WorldSize,
            WorldSizeSource = placement.WorldSizeSource,
            LocalRank = placement.LocalRank,
            LocalRankSource = placement.LocalRankSource,
            LocalWorldSize = placement.LocalWorldSize,
            LocalWorldSizeSource = placement.LocalWorldSizeSource,
            MasterAddress = address,
            MasterAddressSource = addressSource,
            MasterPort = port,
            MasterPortSource = portSource,
        };
    }

    private static Placement SingleProcess(LaunchVariableReader read)
    {
        // EP_WORLD_SIZE without EP_RANK is a launch script that forgot the rank, not a single process.
        foreach (string partner in new[] { V.WorldSize, V.LocalRank, V.LocalWorldSize })
        {
            if (read.IsSet(partner))
            {
                throw LaunchVariableReader.Invalid(V.Rank,
                    $"an integer rank in [0, EP_WORLD_SIZE) because {partner} is set", null);
            }
        }

        const string Default = "default: single process";
        return new Placement(EpLauncherKind.None, 0, Default, 1, Default, 0, Default, 1, Default);
    }

    private static Placement FromEp(LaunchVariableReader read)
    {
        int world = read.Integer(V.WorldSize, 1, MaxRanks, "a positive integer (the number of processes)");
        int rank = read.Integer(V.Rank, 0, world - 1, Range("an integer rank in", world, V.WorldSize));
        int localWorld = read.IsSet(V.LocalWorldSize)
            ? read.Integer(V.LocalWorldSize, 1, world, Range("a positive integer at most", world, V.WorldSize, inclusive: true))
            : world;
        int localRank = read.IsSet(V.LocalRank)
            ? read.Integer(V.LocalRank, 0, localWorld - 1, Range("an integer local rank in", localWorld, "the local world size"))
            : rank % localWorld;
        return new Placement(EpLauncherKind.Ep,
            rank, V.Rank,
            world, V.WorldSize,
            localRank, read.IsSet(V.LocalRank) ? V.LocalRank : "default: EP_RANK mod local world size",
            localWorld, read.IsSet(V.LocalWorldSize) ? V.LocalWorldSize : "default: EP_WORLD_SIZE (one node)");
    }

    private static Placement FromOpenMpi(LaunchVariableReader read)
    {
        int world = read.Integer(V.OmpiSize, 1, MaxRanks, "a positive integer (the number of processes)");
        int rank = read.Integer(V.OmpiRank, 0, world - 1, Range("an integer rank in", world, V.OmpiSize));
        int localWorld = read.Integer(V.OmpiLocalSize, 1, world, Range("a positive integer at most", world, V.OmpiSize, inclusive: true));
        int localRank = read.Integer(V.OmpiLocalRank, 0, localWorld - 1, Range("an integer local rank in", localWorld, V.OmpiLocalSize));
        return new Placement(EpLauncherKind.OpenMpi, rank, V.OmpiRank, world, V.OmpiSize, localRank, V.OmpiLocalRank, localWorld, V.OmpiLocalSize);
    }

    private static Placement FromSlurm(LaunchVariableReader read)
    {
        int world = read.Integer(V.SlurmTasks, 1, MaxRanks, "a positive integer (the number of tasks)");
        int rank = read.Integer(V.SlurmProcId, 0, world - 1, Range("an integer rank in", world, V.SlurmTasks));
        int localWorld;
        string localWorldSource;
        if (read.IsSet(V.SlurmTasksPerNodeCount))
        {
            localWorld = read.Integer(V.SlurmTasksPerNodeCount, 1, world, Range("a positive integer at most", world, V.SlurmTasks, inclusive: true));
            localWorldSource = V.SlurmTasksPerNodeCount;
        }
        else if (read.Text(V.SlurmTasksPerNode) is { } tasksPerNode)
        {
            int node = read.IsSet(V.SlurmNodeId) ? read.Integer(V.SlurmNodeId, 0, MaxRanks, "a non-negative integer (this node's index)") : 0;
            localWorld = SlurmTasksPerNode.ForNode(tasksPerNode, node, V.SlurmTasksPerNode);
            localWorldSource = V.SlurmTasksPerNode;
        }
        else
        {
            throw LaunchVariableReader.Invalid(V.SlurmTasksPerNodeCount,
                $"a positive integer (tasks on this node), or {V.SlurmTasksPerNode} such as '4(x2)'", null);
        }

        int localRank = read.Integer(V.SlurmLocalId, 0, localWorld - 1, Range("an integer local rank in", localWorld, localWorldSource));
        return new Placement(EpLauncherKind.Slurm, rank, V.SlurmProcId, world, V.SlurmTasks, localRank, V.SlurmLocalId, localWorld, localWorldSource);
    }

    private static (string Address, string Source) MasterAddress(LaunchVariableReader read, Placement placement)
    {
        if (read.FirstSet(V.MasterAddress, V.TorchMasterAddress) is { } variable)
        {
            return (read.Host(variable), variable);
        }

        if (placement.Launcher == EpLauncherKind.Slurm)
        {
            if (read.FirstSet(V.SlurmNodeList, V.SlurmJobNodeList) is { } listVariable)
            {
                // Block distribution puts rank 0 on the step's first node; srun's launch node may be a login node.
                return (SlurmNodeList.FirstHost(read.Text(listVariable)!, listVariable), "first host of " + listVariable);
            }

            if (read.IsSet(V.SlurmLaunchNodeAddress))
            {
                return (read.Host(V.SlurmLaunchNodeAddress), V.SlurmLaunchNodeAddress);
            }
        }

        if (placement.LocalWorldSize == placement.WorldSize)
        {
            return (Loopback, "default: every rank on this node");
        }

        throw LaunchVariableReader.Invalid(V.MasterAddress, string.Create(CultureInfo.InvariantCulture,
            $"the host name or IP address of rank 0, because the {placement.WorldSize} ranks span several nodes ({placement.LocalWorldSize} on this one)"), null);
    }

    private static (int Port, string Source) MasterPort(LaunchVariableReader read, EpLauncherKind launcher)
    {
        if (read.FirstSet(V.MasterPort, V.TorchMasterPort) is { } variable)
        {
            return (read.Integer(variable, 1, 65535, "a TCP port in [1, 65535]"), variable);
        }

        if (launcher == EpLauncherKind.Slurm && read.IsSet(V.SlurmJobId))
        {
            int job = read.Integer(V.SlurmJobId, 0, int.MaxValue, "a non-negative integer (the job id)");
            return (20000 + (job % 20000), "default: 20000 + SLURM_JOB_ID mod 20000");
        }

        return (EpLaunchEnvironment.DefaultMasterPort, "default: 29500");
    }

    private static string Range(string what, int bound, string boundName, bool inclusive = false) =>
        inclusive
            ? string.Create(CultureInfo.InvariantCulture, $"{what} {boundName}={bound}")
            : string.Create(CultureInfo.InvariantCulture, $"{what} [0, {boundName}={bound})");
}
