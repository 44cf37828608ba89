namespace Ep;

/// <summary>How the ranks of a group run.</summary>
internal enum EpProcessKind
{
    /// <summary>Every rank is a thread of this process (<see cref="EpWorld"/>), sharing the CPU or one GPU.</summary>
    SimulatedRanks = 0,
    /// <summary>One process per rank, each with its own GPU and an NCCL communicator.</summary>
    Processes = 1,
}
