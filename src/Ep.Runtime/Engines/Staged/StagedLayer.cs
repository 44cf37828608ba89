using System;
using System.Collections.Generic;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// One layer instance on one rank of the Staged engine: the eight operations of docs/semantics.md as kernel launches on
/// the rank's stream plus exchanges with the other ranks' instances through the rank's transport (device copies
/// between simulated ranks, or NCCL between processes).
/// </summary>
/// <remarks>
/// The host learns every count once per step (Dispatch's single read-back), so every later launch and copy is sized on
/// the host and nothing waits for the device until a caller reads a result.
/// </remarks>
internal sealed partial class StagedLayer : IEpLayerEngine
{
    private readonly EpLayerSpec _spec;
    private readonly IStagedLayerTransport _transport;
    private readonly int _rank;
    private readonly int _ranks;
    private readonly CudaDevice _device;
    private readonly CudaStreamHandle _stream;
    private readonly StagedKernels _kernels;
    private readonly StagedLayerBuffers _buffers;
    private readonly int _localExperts;
    private readonly bool _expertMajor;
    private readonly bool _lowLatency;
    private readonly StagedLocalReorder _local;
    private readonly LowLatencyGroupPadding? _padding;

    // The current step (set by a Dispatch that passed every check).
    private StagedRoutePlan? _plan;
    private int _generation;

    // The routing record PrepareDispatch launched, which the next DispatchPrepared gathers.
    private ulong _preparedRecord;
    private int _tokens;
    private StagedPeerSegment[] _forwardSegments = [];
    private StagedPeerSegment[] _returnSegments = [];

    /// <summary>Collective: allocates this rank's buffers and connects them to the peers' through <paramref name="transport"/>.</summary>
    public StagedLayer(EpLayerSpec spec, IStagedTransport transport, int rank, int ranks, CudaDevice device, CudaStreamHandle stream,
        StagedKernels kernels, Func<int, int, SymmetricTensor<BFloat16>>? symmetric, EpDevice epDevice)
    {
        _spec = spec;
        _rank = rank;
        _ranks = ranks;
        _device = device;
        _stream = stream;
        _kernels = kernels;
        _localExperts = spec.LocalExperts(ranks);
        _lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        _expertMajor = _lowLatency || spec.Layout == EpLayout.ExpertMajor;
        _buffers = new StagedLayerBuffers(spec, ranks, epDevice, symmetric);
        StagedLayerBuffers b = _buffers;
        try
        {
            _padding = _lowLatency
                ? new LowLatencyGroupPadding(b.FilledRows, b.ExpertOffsets, b.ExpertCounts, checked(ranks * spec.MaxTokensPerRank), kernels, stream)
                : null;
            _local = new StagedLocalReorder(spec, kernels, stream, new StagedReorderBuffers(b.RecvRows, b.RecvIdx, b.RankInExpert, b.RankTileCounts, b.Layout,
                b.PermutedRow, b.RecvWeights, b.RowSource, b.LayoutWeights, b.Permuted, b.Unpermuted, b.GradExpertOutput, b.GradWeights,
                b.GradReceived), _padding, static () => PoisonOutputs);
            _transport = transport.Connect(spec, _buffers);
        }
        catch
        {
            _buffers.Dispose();
            throw;
        }
    }

    public EpEngineKind Kind => EpEngineKind.Staged;

    public IntPtr DeviceStream => _stream.DangerousGetHandle();

    /// <summary>Test hook: fill every output buffer with a NaN pattern before an operation writes it, so a row a kernel forgets shows.</summary>
    internal static bool PoisonOutputs { get; set; }

    private int Ranks => _ranks;

    private int Hidden => _spec.HiddenSize;

    private int TopK => _spec.TopK;

    private long RowBytes => (long)Hidden * 2;

    private DeviceTensor<int> Positions => _buffers.Positions[_generation];

    private DeviceTensor<long> SourceIdx => _buffers.SourceIdx[_generation];

    private DeviceTensor<float> SourceWeights => _buffers.SourceWeights[_generation];

    private DeviceTensor<int> PairPositions => _buffers.PairPositions[_generation];

    private StagedRoutePlan Plan => _plan ?? throw new InvalidOperationException("No Dispatch has completed on this layer.");

    private static ulong Address<T>(DeviceTensor<T>? tensor)
        where T : unmanaged => StagedMemory.Address(tensor);

    /// <summary>Fills <paramref name="buffer"/> with all-ones words (NaN in bf16 and fp32, −1 in int) when poisoning is on.</summary>
    private void Poison<T>(DeviceTensor<T> buffer)
        where T : unmanaged => _local.Poison(buffer);

    /// <summary>The transfer that returns received units (from <paramref name="units"/>) to their source ranks' <paramref name="target"/>.</summary>
    private StagedTransfer Return(StagedReceiveBuffer target, ulong units, long unitBytes) => new(target, units, unitBytes, _returnSegments);

    public void Dispose()
    {
        // The transport first: after a failure over NCCL it aborts the communicator, so freeing buffers that a stuck
        // transfer still names does not wait for it.
        _transport.Dispose();
        _buffers.Dispose();
    }
}
