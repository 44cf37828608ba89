using System;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Bench.Processes;

/// <summary>
/// This process's place in a launched run: the group <see cref="EpGroup.FromEnvironment()"/> made (its communicator is
/// shared by every engine measured and by the all-to-all baseline), plus the small collectives the benchmark itself needs —
/// an all-gather of doubles (rank 0 collects the other ranks' samples) — through the group's own NCCL communicator on a
/// stream of the benchmark's, never on a layer's.
/// </summary>
internal sealed class ProcessWorld : IDisposable
{
    private readonly EpGroup _group;
    private readonly CudaStreamHandle _stream;

    private ProcessWorld(EpGroup group)
    {
        _group = group;
        _stream = CudaStreamHandle.Create();
    }

    /// <summary>This rank.</summary>
    public int Rank => _group.Rank;

    /// <summary>Ranks in the run.</summary>
    public int Ranks => _group.WorldSize;

    /// <summary>This rank's GPU (current on the thread that joined).</summary>
    public EpDevice Device => _group.Device;

    /// <summary>The group's <c>ncclComm_t</c>, for forced-engine groups and the baseline (borrowed: the join group owns it).</summary>
    public IntPtr Communicator => _group.Communicator;

    /// <summary>The engine the environment picked for the join group (EP_ENGINE, auto by default), and why.</summary>
    public string JoinEngine => _group.EngineKind + ": " + _group.EngineReason;

    /// <summary>Joins every rank of the launch (collective; see docs/bootstrap.md).</summary>
    public static ProcessWorld Join()
    {
        EpGroup group = EpGroup.FromEnvironment();
        try
        {
            return new ProcessWorld(group);
        }
        catch
        {
            group.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Collective: every rank passes a vector of the same length; every rank gets all of them, indexed by rank
    /// (<c>ncclAllGather</c> of float64 on the benchmark's stream, then a wait).
    /// </summary>
    public unsafe double[][] AllGather(ReadOnlySpan<double> mine)
    {
        int count = Math.Max(mine.Length, 1);
        var padded = new double[count];
        mine.CopyTo(padded);
        var all = new double[count * Ranks];
        long bytes = (long)count * sizeof(double);
        IntPtr stream = _stream.DangerousGetHandle();
        using var send = DeviceMemoryHandle.Allocate(bytes);
        using var receive = DeviceMemoryHandle.Allocate(bytes * Ranks);
        fixed (double* source = padded)
        fixed (double* destination = all)
        {
            CudaException.ThrowIfFailed(CudaDriver.MemcpyHtoDAsync(send.Pointer, source, (nuint)bytes, stream));
            NcclException.ThrowIfFailed(Nccl.AllGather(send.Pointer, receive.Pointer, (nuint)count, NcclDataType.Float64, Communicator, stream));
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoHAsync(destination, receive.Pointer, (nuint)(bytes * Ranks), stream));
            _stream.Synchronize();
        }

        var result = new double[Ranks][];
        for (int r = 0; r < Ranks; r++)
        {
            result[r] = all.AsSpan(r * count, mine.Length).ToArray();
        }

        return result;
    }

    /// <summary>Collective: returns when every rank has called it; each rank's <paramref name="value"/> comes back, by rank.</summary>
    public double[] Barrier(double value = 0) => Array.ConvertAll(AllGather([value]), v => v[0]);

    /// <summary>Frees the stream and disposes the join group, which destroys the communicator.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        _group.Dispose();
    }
}
