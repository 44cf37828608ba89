namespace Ep.Bootstrap;

/// <summary>The environment variables that place a process in a multi-process group (see docs/bootstrap.md).</summary>
public static class EpLaunchVariables
{
    /// <summary>This process's rank, 0-based.</summary>
    public const string Rank = "EP_RANK";
    /// <summary>Number of processes.</summary>
    public const string WorldSize = "EP_WORLD_SIZE";
    /// <summary>Rank among this node's processes (picks the GPU); defaults to EP_RANK.</summary>
    public const string LocalRank = "EP_LOCAL_RANK";
    /// <summary>Number of processes on this node; defaults to EP_WORLD_SIZE.</summary>
    public const string LocalWorldSize = "EP_LOCAL_WORLD_SIZE";
    /// <summary>Host name or IP address of rank 0.</summary>
    public const string MasterAddress = "EP_MASTER_ADDR";
    /// <summary>TCP port on which rank 0 serves the NCCL unique id.</summary>
    public const string MasterPort = "EP_MASTER_PORT";
    /// <summary>Seconds every rank waits for the others before failing (default 120).</summary>
    public const string BootstrapTimeoutSeconds = "EP_BOOTSTRAP_TIMEOUT_S";

    /// <summary>torchrun's name for the master address, accepted after EP_MASTER_ADDR.</summary>
    public const string TorchMasterAddress = "MASTER_ADDR";
    /// <summary>torchrun's name for the master port, accepted after EP_MASTER_PORT.</summary>
    public const string TorchMasterPort = "MASTER_PORT";

    internal const string OmpiRank = "OMPI_COMM_WORLD_RANK";
    internal const string OmpiSize = "OMPI_COMM_WORLD_SIZE";
    internal const string OmpiLocalRank = "OMPI_COMM_WORLD_LOCAL_RANK";
    internal const string OmpiLocalSize = "OMPI_COMM_WORLD_LOCAL_SIZE";

    internal const string SlurmProcId = "SLURM_PROCID";
    internal const string SlurmTasks = "SLURM_NTASKS";
    internal const string SlurmLocalId = "SLURM_LOCALID";
    internal const string SlurmTasksPerNodeCount = "SLURM_NTASKS_PER_NODE";
    internal const string SlurmTasksPerNode = "SLURM_TASKS_PER_NODE";
    internal const string SlurmNodeId = "SLURM_NODEID";
    internal const string SlurmNodeList = "SLURM_NODELIST";
    internal const string SlurmJobNodeList = "SLURM_JOB_NODELIST";
    internal const string SlurmLaunchNodeAddress = "SLURM_LAUNCH_NODE_IPADDR";
    internal const string SlurmJobId = "SLURM_JOB_ID";
}
