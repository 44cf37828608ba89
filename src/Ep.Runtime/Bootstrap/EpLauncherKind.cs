namespace Ep.Bootstrap;

/// <summary>Which launcher's variables gave a process its rank.</summary>
public enum EpLauncherKind
{
    /// <summary>None: a single process, rank 0 of 1.</summary>
    None = 0,
    /// <summary><c>ep-run</c> or any launcher that sets EP_RANK and EP_WORLD_SIZE.</summary>
    Ep = 1,
    /// <summary>OpenMPI's <c>mpirun</c> (OMPI_COMM_WORLD_*).</summary>
    OpenMpi = 2,
    /// <summary>Slurm's <c>srun</c> (SLURM_PROCID, SLURM_NTASKS, ...).</summary>
    Slurm = 3,
}
