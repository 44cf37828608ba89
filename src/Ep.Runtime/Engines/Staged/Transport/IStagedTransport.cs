using System;
using System.Collections.Generic;

namespace Ep.Engines.Staged;

/// <summary>
/// How one rank of the Staged engine talks to its peers: the seam between the engine's kernels and a fabric. Two
/// implementations: <see cref="SimulatedStagedTransport"/> (ranks as threads on one GPU: host rendezvous and
/// device-to-device pushes) and <see cref="NcclStagedTransport"/> (ranks as processes: NCCL collectives and grouped
/// send/recv on the rank's stream).
/// </summary>
internal interface IStagedTransport : IDisposable
{
    /// <summary>Words for <see cref="EpEngineKind.Staged"/>'s reason: the fabric and how tokens move.</summary>
    string Description { get; }

    /// <summary>
    /// True once a failure may have left communication half-done (a peer waits for this rank, or this rank's stream
    /// waits for a peer): disposal then must not wait for the stream.
    /// </summary>
    bool Failed { get; }

    /// <summary>Collective: connects one layer instance (every rank creates its layers in the same order).</summary>
    IStagedLayerTransport Connect(EpLayerSpec spec, StagedLayerBuffers buffers);

    /// <summary>
    /// Records that an operation on this rank failed without its peers' agreement (see
    /// <see cref="StagedAgreedErrors"/>), so that disposal aborts instead of waiting.
    /// </summary>
    void NoteFailure(Exception error);
}

/// <summary>One layer instance's share of the transport: the host collectives a step needs and its token exchanges.</summary>
internal interface IStagedLayerTransport : IDisposable
{
    /// <summary>
    /// Collective: every rank's routing summary, from the device record at <paramref name="record"/> that this rank's
    /// kernels just wrote (one of <see cref="StagedLayerBuffers.RouteRecords"/>; the step's one host wait).
    /// <paramref name="describeError"/> turns this rank's error key into the full error (it reads the bad row of
    /// topkIdx); it is called only when this rank has one.
    /// </summary>
    StagedRouteSummary[] GatherRouting(ulong record, Func<long, StagedRoutingError> describeError, string operation);

    /// <summary>Collective: every rank's <paramref name="value"/>, indexed by rank.</summary>
    bool[] AllGather(bool value, string operation);

    /// <summary>
    /// Collective: moves every transfer's segments between the ranks. Afterwards work on this rank's stream sees
    /// everything its peers sent, and this rank's send buffers may be overwritten by later work on its stream.
    /// </summary>
    void Exchange(string operation, IReadOnlyList<StagedTransfer> transfers);
}
