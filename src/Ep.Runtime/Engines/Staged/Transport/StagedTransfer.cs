namespace Ep.Engines.Staged;

/// <summary>The receive buffers of a layer instance that peers' segments land in.</summary>
internal enum StagedReceiveBuffer
{
    /// <summary>Dispatch's token rows.</summary>
    RecvRows,
    /// <summary>Dispatch's local expert ids.</summary>
    RecvIdx,
    /// <summary>Dispatch's routing weights.</summary>
    RecvWeights,
    /// <summary>CombineBackward's gradient rows.</summary>
    GradFlat,
    /// <summary>Rows returned to their source rank (Combine, DispatchBackward).</summary>
    ReturnRows,
    /// <summary>Weight gradients returned with DispatchBackward.</summary>
    ReturnWeights,
}

/// <summary>
/// This rank's share of one transfer with one peer, in units (rows or pairs) of the transfer. Both directions are
/// given because the fabrics need different halves: device pushes write the peer's memory (<see cref="SendOffset"/>,
/// <see cref="LandingOffset"/>, <see cref="SendUnits"/>), NCCL posts a send and a matching receive
/// (<see cref="SendOffset"/>, <see cref="SendUnits"/>, <see cref="ReceiveOffset"/>, <see cref="ReceiveUnits"/>).
/// </summary>
/// <param name="SendOffset">First unit of this rank's segment for the peer, in the transfer's source.</param>
/// <param name="SendUnits">Units this rank sends to the peer.</param>
/// <param name="LandingOffset">Where that segment lands in the peer's receive buffer.</param>
/// <param name="ReceiveOffset">Where the peer's segment for this rank lands in this rank's receive buffer.</param>
/// <param name="ReceiveUnits">Units the peer sends to this rank (its <see cref="SendUnits"/> for this rank).</param>
internal readonly record struct StagedPeerSegment(long SendOffset, long SendUnits, long LandingOffset, long ReceiveOffset, long ReceiveUnits);

/// <summary>One buffer's all-to-all: units of <paramref name="UnitBytes"/> from <paramref name="Source"/> into every peer's <paramref name="Target"/>.</summary>
/// <param name="Target">The receive buffer the segments land in, on every rank.</param>
/// <param name="Source">Device address of this rank's send buffer (unit 0).</param>
/// <param name="UnitBytes">Bytes per unit.</param>
/// <param name="Peers">[R] this rank's segment with each rank, itself included.</param>
internal sealed record StagedTransfer(StagedReceiveBuffer Target, ulong Source, long UnitBytes, StagedPeerSegment[] Peers);
