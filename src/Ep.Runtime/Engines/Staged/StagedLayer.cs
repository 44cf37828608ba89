using System;
using System.Collections.Generic;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// One layer instance on one simulated rank of the Staged engine: the eight operations of docs/semantics.md as kernel
/// launches on the rank's stream plus device-to-device exchanges with the other ranks' instances.
/// </summary>
/// <remarks>
/// The host learns every count once per step (Dispatch's single read-back), so every later launch and copy is sized on
/// the host and nothing waits for the device until a caller reads a result.
/// </remarks>
internal sealed partial class StagedLayer : IEpLayerEngine
{
    private readonly EpLayerSpec _spec;
    private readonly SimulatedWorld _world;
    private readonly int _rank;
    private readonly CudaDevice _device;
    private readonly CudaStreamHandle _stream;
    private readonly StagedExchange _exchange;
    private readonly StagedKernels _kernels;
    private readonly StagedLayerBuffers _buffers;
    private readonly StagedPeerBuffers[] _peers;
    private readonly int _localExperts;
    private readonly bool _expertMajor;
    private readonly bool _lowLatency;

    // The current step (set by a Dispatch that passed every check).
    private StagedRoutePlan? _plan;
    private int _generation;
    private int _tokens;
    private int _receivedRows;
    private int _layoutRows;
    private int[] _expertCounts = [];
    private int[] _expertOffsets = [];

    /// <summary>Collective: allocates this rank's buffers and learns every peer's receive addresses.</summary>
    public StagedLayer(EpLayerSpec spec, SimulatedWorld world, int rank, CudaDevice device, CudaStreamHandle stream,
        StagedExchange exchange, StagedKernels kernels, Func<int, int, SymmetricTensor<BFloat16>>? symmetric, EpDevice epDevice)
    {
        _spec = spec;
        _world = world;
        _rank = rank;
        _device = device;
        _stream = stream;
        _exchange = exchange;
        _kernels = kernels;
        _localExperts = spec.LocalExperts(world.Ranks);
        _lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        _expertMajor = _lowLatency || spec.Layout == EpLayout.ExpertMajor;
        _buffers = new StagedLayerBuffers(spec, world.Ranks, epDevice, symmetric);
        _peers = world.AllGather(rank, StagedPeerBuffers.Of(_buffers), "StagedLayer buffers");
    }

    /// <summary>Test hook: fill every output buffer with a NaN pattern before an operation writes it, so a row a kernel forgets shows.</summary>
    internal static bool PoisonOutputs { get; set; }

    private int Ranks => _world.Ranks;

    private int Hidden => _spec.HiddenSize;

    private int TopK => _spec.TopK;

    private long RowBytes => (long)Hidden * 2;

    private DeviceTensor<int> Positions => _buffers.Positions[_generation];

    private DeviceTensor<int> PairPositions => _buffers.PairPositions[_generation];

    private StagedRoutePlan Plan => _plan ?? throw new InvalidOperationException("No Dispatch has completed on this layer.");

    private static ulong Address<T>(DeviceTensor<T>? tensor)
        where T : unmanaged => StagedMemory.Address(tensor);

    private static ulong Row(DeviceTensor<BFloat16> rows, long row) => StagedMemory.Address(rows, row * rows.Columns);

    /// <summary>Fills <paramref name="buffer"/> with all-ones words (NaN in bf16 and fp32, −1 in int) when poisoning is on.</summary>
    private void Poison<T>(DeviceTensor<T> buffer)
        where T : unmanaged
    {
        if (PoisonOutputs)
        {
            StagedMemory.Fill(Address(buffer), 0xFFFFFFFFu, buffer.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() / 4, _stream);
        }
    }

    /// <summary>The first <paramref name="rows"/> rows of <paramref name="buffer"/>, keeping a symmetric buffer's type.</summary>
    private static DeviceTensor<T> View<T>(DeviceTensor<T> buffer, int rows)
        where T : unmanaged => buffer is SymmetricTensor<T> symmetric ? symmetric.SliceRows(0, rows) : buffer.SliceRows(0, rows);

    /// <summary>
    /// Copies that return received units to their source ranks: rows [begin, +count) of <paramref name="units"/> for each
    /// source s go to s's <paramref name="peerDestination"/> at the segment this rank owns there.
    /// </summary>
    private List<StagedCopy> ReturnCopies(ulong units, long unitBytes, bool perPair, Func<StagedPeerBuffers, ulong> peerDestination)
    {
        StagedRoutePlan plan = Plan;
        var copies = new List<StagedCopy>(Ranks);
        for (int s = 0; s < Ranks; s++)
        {
            long count = perPair ? plan.PairsSent(s, _rank) : plan.RowsSent(s, _rank);
            long from = perPair ? plan.PairReceiveOffset(_rank, s) : plan.ReceiveOffset(_rank, s);
            long to = perPair ? plan.PairSendOffset(s, _rank) : plan.SendOffset(s, _rank);
            if (count > 0)
            {
                copies.Add(new StagedCopy(peerDestination(_peers[s]) + (ulong)(to * unitBytes), units + (ulong)(from * unitBytes), count * unitBytes));
            }
        }

        return copies;
    }

    public void Dispose() => _buffers.Dispose();
}

/// <summary>The receive addresses of one rank's layer instance, which its peers push into.</summary>
internal sealed record StagedPeerBuffers(ulong RecvRows, ulong RecvIdx, ulong RecvWeights, ulong GradFlat, ulong ReturnRows, ulong ReturnWeights)
{
    public static StagedPeerBuffers Of(StagedLayerBuffers buffers) => new(
        StagedMemory.Address(buffers.RecvRows), StagedMemory.Address(buffers.RecvIdx), StagedMemory.Address(buffers.RecvWeights),
        StagedMemory.Address(buffers.GradFlat), StagedMemory.Address(buffers.ReturnRows), StagedMemory.Address(buffers.ReturnWeights));
}
