using System;
using System.Globalization;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// The transport between ranks that are processes (one GPU each) sharing an NCCL communicator: counts and flags are
/// gathered with <c>ncclAllGather</c> on the rank's stream and read back once; tokens move with grouped
/// <c>ncclSend</c>/<c>ncclRecv</c> on the same stream. Needs plain NCCL ≥ 2.18, not NCCL EP.
/// </summary>
/// <remarks>
/// <para>Failure: a process cannot signal its peers the way <see cref="SimulatedWorld.Fail"/> does. When one rank
/// fails alone (an exception that its peers did not also throw, or a crash), the others block in their next NCCL
/// operation, or in the host wait of the next Dispatch, until the launcher's timeout ends the job (or NCCL reports a
/// remote error, which surfaces as an <see cref="NcclException"/>). The failing rank marks the transport as failed, and
/// its disposal then aborts an owned communicator (<c>ncclCommAbort</c>) instead of waiting for its stream.</para>
/// <para>Errors every rank throws together (routing, capacity: see <see cref="StagedAgreedErrors"/>) leave the
/// communicator healthy: every rank completed the same collectives, and nothing was issued after them.</para>
/// </remarks>
internal sealed class NcclStagedTransport : IStagedTransport
{
    /// <summary>The oldest NCCL with everything this transport uses (grouped send/recv to self included).</summary>
    public const int MinimumVersion = 21800;

    private readonly NcclCommunicatorLease _communicator;

    private NcclStagedTransport(NcclCommunicatorLease communicator, int rank, int ranks, CudaStreamHandle stream, int version)
    {
        _communicator = communicator;
        Rank = rank;
        Ranks = ranks;
        Stream = stream;
        Description = string.Create(CultureInfo.InvariantCulture,
            $"NCCL {version / 10000}.{version / 100 % 100}.{version % 100} grouped send/recv exchange");
    }

    public int Rank { get; }

    public int Ranks { get; }

    public CudaStreamHandle Stream { get; }

    public string Description { get; }

    public bool Failed => _communicator.Failed;

    /// <summary>The communicator's handle (throws once it has ended).</summary>
    public IntPtr Communicator => _communicator.Handle;

    /// <summary>
    /// Checks that <paramref name="communicator"/> is rank <paramref name="rank"/> of <paramref name="ranks"/> and that
    /// the loaded NCCL is new enough. On failure an owned communicator is left to the caller, which still holds it.
    /// </summary>
    public static NcclStagedTransport Create(IntPtr communicator, int rank, int ranks, bool ownsCommunicator, CudaStreamHandle stream)
    {
        if (communicator == IntPtr.Zero)
        {
            throw new ArgumentNullException(nameof(communicator), "The NCCL communicator handle is null.");
        }

        NcclException.ThrowIfFailed(Nccl.GetVersion(out int version));
        if (version < MinimumVersion)
        {
            throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"The Staged engine over NCCL needs NCCL 2.18 or newer; the loaded libnccl is version code {version} (set EP_NCCL_LIBRARY to a newer one)."));
        }

        NcclException.ThrowIfFailed(Nccl.CommCount(communicator, out int count));
        NcclException.ThrowIfFailed(Nccl.CommUserRank(communicator, out int userRank));
        if (count != ranks || userRank != rank)
        {
            throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"The NCCL communicator is rank {userRank} of {count}, but the group was asked to be rank {rank} of {ranks}."));
        }

        return new NcclStagedTransport(new NcclCommunicatorLease(communicator, ownsCommunicator), rank, ranks, stream, version);
    }

    public IStagedLayerTransport Connect(EpLayerSpec spec, StagedLayerBuffers buffers) => new NcclStagedLayerTransport(this, spec, buffers);

    public void NoteFailure(Exception error) => _communicator.MarkFailed();

    /// <summary>Records that communication may be half-done (a failed NCCL call), so that disposal aborts instead of waiting.</summary>
    public void MarkFailed() => _communicator.MarkFailed();

    /// <summary>After a failure: aborts an owned communicator, so that freeing memory a stuck transfer names does not wait.</summary>
    public void AbortIfFailed() => _communicator.AbortIfFailed();

    /// <summary>Throws the NCCL error <paramref name="status"/>, first marking the transport failed (peers may be mid-operation).</summary>
    public void Check(NcclResult status, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != NcclResult.Success)
        {
            _communicator.MarkFailed();
            NcclException.ThrowIfFailed(status, call);
        }
    }

    public void Dispose() => _communicator.Dispose();
}
