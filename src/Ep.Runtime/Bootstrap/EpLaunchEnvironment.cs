using System;
using System.Globalization;

namespace Ep.Bootstrap;

/// <summary>
/// Where this process stands in a multi-process launch: its rank, the world size, its place on its node, and where
/// rank 0 serves the NCCL unique id. Each value carries the variable (or default) it came from, for messages and logs.
/// </summary>
/// <remarks>
/// <para>Read by <see cref="Parse(Func{string, string?})"/>, in this priority order (the first launcher whose rank
/// variable is set supplies rank, world size and local rank):</para>
/// <list type="number">
/// <item><c>EP_RANK</c>, <c>EP_WORLD_SIZE</c>, <c>EP_LOCAL_RANK</c>, <c>EP_LOCAL_WORLD_SIZE</c> (set by <c>ep-run</c>);</item>
/// <item>OpenMPI: <c>OMPI_COMM_WORLD_RANK</c>, <c>OMPI_COMM_WORLD_SIZE</c>, <c>OMPI_COMM_WORLD_LOCAL_RANK</c>, <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>;</item>
/// <item>Slurm: <c>SLURM_PROCID</c>, <c>SLURM_NTASKS</c>, <c>SLURM_LOCALID</c>, <c>SLURM_NTASKS_PER_NODE</c> or <c>SLURM_TASKS_PER_NODE</c>.</item>
/// </list>
/// <para>The master address is <c>EP_MASTER_ADDR</c>, else <c>MASTER_ADDR</c> (torchrun's name), else under Slurm the
/// first host of <c>SLURM_NODELIST</c> / <c>SLURM_JOB_NODELIST</c> (then <c>SLURM_LAUNCH_NODE_IPADDR</c>), else
/// 127.0.0.1 when every rank is on this node. The port is <c>EP_MASTER_PORT</c>, else <c>MASTER_PORT</c>, else 29500
/// (under Slurm, 20000 + SLURM_JOB_ID mod 20000, so that jobs sharing a node do not collide).</para>
/// <para>A process with none of these variables set is a single process: rank 0 of 1.</para>
/// </remarks>
public sealed record EpLaunchEnvironment
{
    /// <summary>The master port used when no variable gives one.</summary>
    public const int DefaultMasterPort = 29500;

    /// <summary>The launcher whose variables gave the rank.</summary>
    public required EpLauncherKind Launcher { get; init; }

    /// <summary>This process's rank, in [0, <see cref="WorldSize"/>).</summary>
    public required int Rank { get; init; }

    /// <summary>Where <see cref="Rank"/> came from (a variable name, or "default: ...").</summary>
    public required string RankSource { get; init; }

    /// <summary>Number of processes in the group.</summary>
    public required int WorldSize { get; init; }

    /// <summary>Where <see cref="WorldSize"/> came from.</summary>
    public required string WorldSizeSource { get; init; }

    /// <summary>This process's rank among the processes of its node; picks its GPU.</summary>
    public required int LocalRank { get; init; }

    /// <summary>Where <see cref="LocalRank"/> came from.</summary>
    public required string LocalRankSource { get; init; }

    /// <summary>Number of processes on this node.</summary>
    public required int LocalWorldSize { get; init; }

    /// <summary>Where <see cref="LocalWorldSize"/> came from.</summary>
    public required string LocalWorldSizeSource { get; init; }

    /// <summary>Host name or IP address where rank 0 serves the unique id.</summary>
    public required string MasterAddress { get; init; }

    /// <summary>Where <see cref="MasterAddress"/> came from.</summary>
    public required string MasterAddressSource { get; init; }

    /// <summary>TCP port where rank 0 serves the unique id.</summary>
    public required int MasterPort { get; init; }

    /// <summary>Where <see cref="MasterPort"/> came from.</summary>
    public required string MasterPortSource { get; init; }

    /// <summary>True for rank 0, which creates and serves the unique id.</summary>
    public bool IsMaster => Rank == 0;

    /// <summary>
    /// True when a launcher started this process as one rank of several (ep-run, mpirun or Slurm set a rank variable):
    /// the process should join the others with <see cref="EpGroup.FromEnvironment()"/>.
    /// </summary>
    public static bool IsLaunched(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return !string.IsNullOrEmpty(environment(EpLaunchVariables.Rank)) || !string.IsNullOrEmpty(environment(EpLaunchVariables.OmpiRank))
            || !string.IsNullOrEmpty(environment(EpLaunchVariables.SlurmProcId));
    }

    /// <summary>Reads this process's environment variables.</summary>
    /// <exception cref="EpConfigurationException">A variable is malformed or one that its launcher needs is missing.</exception>
    public static EpLaunchEnvironment FromProcess() => Parse(Environment.GetEnvironmentVariable);

    /// <summary>Reads the variables through <paramref name="environment"/> (a name → value lookup, null when unset).</summary>
    /// <exception cref="EpConfigurationException">A variable is malformed or one that its launcher needs is missing.</exception>
    public static EpLaunchEnvironment Parse(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return LaunchEnvironmentParser.Parse(new LaunchVariableReader(environment));
    }

    /// <summary>One line for logs, e.g. "rank 1 of 4 (EP_RANK), local 1 of 4, master 10.0.0.1:29500 (EP_MASTER_ADDR)".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"rank {Rank} of {WorldSize} ({RankSource}, {WorldSizeSource}), local rank {LocalRank} of {LocalWorldSize} ({LocalRankSource}, {LocalWorldSizeSource}), master {MasterAddress}:{MasterPort} ({MasterAddressSource}, {MasterPortSource})");
}
