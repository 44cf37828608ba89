using System;
using System.Collections.Generic;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>One device-to-device copy a rank pushes into a peer's buffer.</summary>
internal readonly record struct StagedCopy(ulong Destination, ulong Source, long Bytes);

/// <summary>
/// The transport between ranks simulated as threads on one GPU: host collectives through
/// <see cref="SimulatedWorld"/>, and a token exchange where every rank pushes its segments into its peers' receive
/// buffers with <c>cuMemcpyDtoDAsync</c> on its own stream. Ordering across ranks uses two events per rank whose
/// handles are exchanged once through <see cref="SimulatedWorld.AllGather{T}"/>: a peer's buffer is written only after
/// that peer's earlier work (<c>ready</c>), and a rank reads what it received only after every peer's copies (<c>sent</c>).
/// </summary>
/// <remarks>
/// Every copy reads the issuing rank's own memory, so a rank's later writes to its own buffers are ordered by its
/// stream alone. The host barriers make each wait name the record of this round: a rank records again only after the
/// next barrier, which every peer reaches after its waits. A failing rank is signalled by <c>EpWorld</c> through
/// <see cref="SimulatedWorld.Fail"/>, which wakes every waiting peer, so this transport never needs to abort.
/// </remarks>
internal sealed class SimulatedStagedTransport : IStagedTransport
{
    private readonly CudaStreamHandle _stream;
    private readonly CudaEventHandle _ready;
    private readonly CudaEventHandle _sent;
    private readonly IntPtr[] _peerReady;
    private readonly IntPtr[] _peerSent;

    /// <summary>Collective: creates this rank's events and learns every peer's.</summary>
    public SimulatedStagedTransport(SimulatedWorld world, int rank, CudaStreamHandle stream)
    {
        World = world;
        Rank = rank;
        _stream = stream;
        _ready = CudaEventHandle.Create(timing: false);
        _sent = CudaEventHandle.Create(timing: false);
        (IntPtr Ready, IntPtr Sent)[] events;
        try
        {
            events = world.AllGather(rank, (_ready.DangerousGetHandle(), _sent.DangerousGetHandle()), "StagedEngine events");
        }
        catch
        {
            // No peer learned these events: a gather that fails completes for no rank.
            DisposeEvents();
            throw;
        }

        _peerReady = Array.ConvertAll(events, e => e.Ready);
        _peerSent = Array.ConvertAll(events, e => e.Sent);
    }

    public SimulatedWorld World { get; }

    public int Rank { get; }

    public CudaStreamHandle Stream => _stream;

    public string Description => "device-to-device exchange";

    public bool Failed => false;

    public IStagedLayerTransport Connect(EpLayerSpec spec, StagedLayerBuffers buffers) => new SimulatedStagedLayerTransport(this, spec, buffers);

    public void NoteFailure(Exception error)
    {
        // EpWorld signals a failing rank to its peers (SimulatedWorld.Fail); nothing here can be left half-done.
    }

    /// <summary>Collective: pushes <paramref name="copies"/> into peers' memory; afterwards this rank's stream has every peer's copies.</summary>
    public void Push(string operation, IReadOnlyList<StagedCopy> copies)
    {
        _ready.Record(_stream);
        World.Barrier(Rank, operation);
        IntPtr stream = _stream.DangerousGetHandle();
        for (int peer = 0; peer < _peerReady.Length; peer++)
        {
            if (peer != Rank)
            {
                CudaException.ThrowIfFailed(CudaDriver.StreamWaitEvent(stream, _peerReady[peer], 0));
            }
        }

        foreach (StagedCopy copy in copies)
        {
            StagedMemory.Copy(copy.Destination, copy.Source, copy.Bytes, _stream);
        }

        _sent.Record(_stream);
        World.Barrier(Rank, operation);
        for (int peer = 0; peer < _peerSent.Length; peer++)
        {
            if (peer != Rank)
            {
                CudaException.ThrowIfFailed(CudaDriver.StreamWaitEvent(stream, _peerSent[peer], 0));
            }
        }
    }

    /// <summary>
    /// A peer may still be between an exchange's last barrier and its wait on this rank's <c>sent</c> event after this
    /// rank has finished, so the events are destroyed only when every rank's transport is done (the last one destroys
    /// all of them): destroying them here let such a wait fail with CUDA_ERROR_CONTEXT_IS_DESTROYED (once in the GPU
    /// suite, bench/RESULTS.md run 14).
    /// </summary>
    public void Dispose() => World.DisposeWithLastRank(_ready, _sent);

    private void DisposeEvents()
    {
        _ready.Dispose();
        _sent.Dispose();
    }
}
