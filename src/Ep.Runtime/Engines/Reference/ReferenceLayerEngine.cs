using System;
using System.Globalization;

namespace Ep;

/// <summary>
/// One layer instance on the Reference engine. The operations live in one file each (partial class): Dispatch,
/// Permute/Unpermute, Combine and the backward calls. The runtime (<see cref="EpLayerRuntime"/>) has already checked
/// call order and the generated layer the shapes; this class checks data and moves rows.
/// </summary>
/// <remarks>
/// Exchanges go through <see cref="SimulatedWorld.AllGather{T}"/>: each rank shares its own input tensors, reads the
/// others' in place and writes only its own buffers, and every exchange ends with a barrier so that no rank changes
/// a buffer (its next step, or the caller reusing an input) while a peer may still be reading it.
/// </remarks>
internal sealed partial class ReferenceLayerEngine : IEpLayerEngine
{
    private readonly EpLayerSpec _spec;
    private readonly string _layerName;
    private readonly SimulatedWorld _world;
    private readonly int _rank;
    private readonly int _hidden;
    private readonly int _topK;
    private readonly bool _flat;
    private readonly bool _lowLatency;
    private readonly ReferenceLayerBuffers _buffers;
    private readonly ReferencePreparedRouting _prepared;
    private ExchangePlan? _plan;
    private bool _disposed;

    public EpEngineKind Kind => EpEngineKind.Reference;

    /// <summary>The Reference engine runs on the CPU: no stream.</summary>
    public IntPtr DeviceStream => IntPtr.Zero;

    public ReferenceLayerEngine(EpLayerSpec spec, string layerName, SimulatedWorld world, int rank, ReferenceEngine engine)
    {
        _spec = spec;
        _layerName = layerName;
        _world = world;
        _rank = rank;
        _hidden = spec.HiddenSize;
        _topK = spec.TopK;
        _lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        _flat = spec.Layout == EpLayout.Flat && !_lowLatency;
        _buffers = new ReferenceLayerBuffers(spec, world.Ranks, engine);
        _prepared = new ReferencePreparedRouting(spec.MaxTokensPerRank, spec.TopK);
    }

    /// <summary>The plan of the current step (the runtime guarantees Dispatch came first).</summary>
    private ExchangePlan Plan => _plan ?? throw new EpStateException($"{_layerName}: no Dispatch has completed on this layer.");

    /// <summary>What this rank received in the current step.</summary>
    private ReceivePlan Received => Plan[_rank];

    /// <summary>Whether Unpermute multiplies by the routing weights (never in LowLatency, whose Combine does).</summary>
    private bool Weighted => _spec.ApplyWeightsInCombine && !_lowLatency;

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _buffers.Dispose();
        }
    }

    private string Operation(string name) => string.Create(CultureInfo.InvariantCulture, $"{_layerName}.{name} (rank {_rank})");
}
