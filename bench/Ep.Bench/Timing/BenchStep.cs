using System;
using System.Collections.Generic;
using System.Linq;

namespace Ep.Bench.Timing;

/// <summary>
/// One rank's step, one operation at a time, on device tensors allocated once: the timing loops call
/// <see cref="Run"/> for each operation in <see cref="Operations"/> order, with nothing between the calls but their own
/// event records or clock reads. The expert is the identity on a fixed random tensor (no compute is timed). With new
/// routing each step, every other Dispatch takes the routing with its rows moved up by one token: other ids for most
/// tokens, the same count per expert (so the same bytes, and the same expert-major size every step). With a prepared
/// routing, each step's <see cref="PrepareRouting"/> comes before its timed span and Dispatch takes the prepared one.
/// </summary>
internal sealed class BenchStep : IDisposable
{
    private readonly EpLayerRuntime _layer;
    private readonly DeviceTensor<BFloat16> _tokens;
    private readonly DeviceTensor<long> _topkIdx;
    private readonly DeviceTensor<float> _topkWeights;
    private readonly DeviceTensor<long>? _movedIdx;
    private readonly DeviceTensor<float>? _movedWeights;
    private long _dispatches;
    private readonly DeviceTensor<BFloat16> _gradOutput;
    private DeviceTensor<BFloat16>? _expertOutput;
    private DeviceTensor<BFloat16>? _gradPermuted;
    private EpDispatchResult? _dispatched;
    private EpPreparedRouting _routing;
    private EpPermutedBatch? _batch;
    private DeviceTensor<BFloat16>? _combineInput;
    private DeviceTensor<BFloat16>? _gradCombineInput;
    private EpUnpermuteGradients? _unpermuteGradients;
    private DeviceTensor<BFloat16>? _gradReceived;

    /// <summary>
    /// Uploads one rank's inputs for <paramref name="layer"/>; with <paramref name="newRoutingEachStep"/> also the moved
    /// routing; with <paramref name="preparedRouting"/> each Dispatch takes the routing <see cref="PrepareRouting"/> prepared.
    /// </summary>
    public BenchStep(EpLayerRuntime layer, Routing.RankInputs inputs, int tokens, bool newRoutingEachStep = false, bool preparedRouting = false)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        _layer = layer;
        PreparesRouting = preparedRouting;
        EpDevice device = layer.Group.Device;
        int h = layer.Spec.HiddenSize, k = layer.Spec.TopK;
        _tokens = DeviceTensor.Upload(device, inputs.Tokens, tokens, h);
        _topkIdx = DeviceTensor.Upload(device, inputs.TopkIdx, tokens, k);
        _topkWeights = DeviceTensor.Upload(device, inputs.TopkWeights, tokens, k);
        _gradOutput = DeviceTensor.Upload(device, inputs.GradOutput, tokens, h);
        if (newRoutingEachStep)
        {
            _movedIdx = DeviceTensor.Upload(device, MovedUpByOneRow(inputs.TopkIdx.AsSpan(0, tokens * k), k), tokens, k);
            _movedWeights = DeviceTensor.Upload(device, MovedUpByOneRow(inputs.TopkWeights.AsSpan(0, tokens * k), k), tokens, k);
        }

        Operations = BenchOperations.For(layer.Spec.Algorithm);
    }

    /// <summary>Whether each step's routing is prepared ahead of its Dispatch (call <see cref="PrepareRouting"/> before the step).</summary>
    public bool PreparesRouting { get; }

    /// <summary>PrepareDispatch of the next step's routing (the one its Dispatch takes), which the timing loops leave out of every span.</summary>
    public void PrepareRouting()
    {
        bool moved = _movedIdx is not null && _dispatches % 2 == 1;
        _routing = _layer.PrepareDispatch(moved ? _movedIdx! : _topkIdx, moved ? _movedWeights! : _topkWeights);
    }

    /// <summary>The operations of one step, in order.</summary>
    public IReadOnlyList<BenchOperation> Operations { get; }

    /// <summary>
    /// Runs one untimed step to learn how many expert-major rows the routing produces (the same every step: the routing
    /// is fixed), and allocates the expert output and its gradient at that size, so that no timed step allocates.
    /// </summary>
    public void Prepare()
    {
        EpDispatchResult d = _layer.Dispatch(_tokens, _topkIdx, _topkWeights);
        EpPermutedBatch batch = _layer.Permute(d);
        int rows = batch.RowCount, h = _layer.Spec.HiddenSize;
        var random = new Random(7 + _layer.Group.Rank);
        var host = new BFloat16[(long)rows * h];
        for (long i = 0; i < host.Length; i++)
        {
            host[i] = (BFloat16)(random.NextSingle() - 0.5f);
        }

        _expertOutput = DeviceTensor.Upload(_layer.Group.Device, host, rows, h);
        if (Operations.Contains(BenchOperation.PermuteBackward))
        {
            for (long i = 0; i < host.Length; i++)
            {
                host[i] = (BFloat16)(random.NextSingle() - 0.5f);
            }

            _gradPermuted = DeviceTensor.Upload(_layer.Group.Device, host, rows, h);
        }

        _layer.Combine(_layer.Unpermute(batch, _expertOutput));
    }

    /// <summary>Calls <paramref name="operation"/>; operations must come in <see cref="Operations"/> order.</summary>
    public void Run(BenchOperation operation)
    {
        DeviceTensor<BFloat16> expertOutput = _expertOutput ?? throw new InvalidOperationException("Call Prepare first.");
        switch (operation)
        {
            case BenchOperation.Dispatch:
                bool moved = _movedIdx is not null && _dispatches++ % 2 == 1;
                _dispatched = PreparesRouting
                    ? _layer.Dispatch(_tokens, _routing)
                    : _layer.Dispatch(_tokens, moved ? _movedIdx! : _topkIdx, moved ? _movedWeights! : _topkWeights);
                break;
            case BenchOperation.Permute:
                _batch = _layer.Permute(_dispatched!);
                break;
            case BenchOperation.Unpermute:
                _combineInput = _layer.Unpermute(_batch!, expertOutput);
                break;
            case BenchOperation.Combine:
                _layer.Combine(_combineInput!);
                break;
            case BenchOperation.CombineBackward:
                _gradCombineInput = _layer.CombineBackward(_gradOutput);
                break;
            case BenchOperation.UnpermuteBackward:
                _unpermuteGradients = _layer.UnpermuteBackward(_batch!, expertOutput, _gradCombineInput!);
                break;
            case BenchOperation.PermuteBackward:
                _gradReceived = _layer.PermuteBackward(_batch!, _gradPermuted!);
                break;
            case BenchOperation.DispatchBackward:
                _layer.DispatchBackward(_gradReceived!, _unpermuteGradients!.GradWeights);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, "Spans are measured around operations, not run.");
        }
    }

    /// <summary>
    /// Captures this step's forward pass on the same inputs, with no expert work timed. LowLatency: the experts return
    /// whatever the Combine buffer holds, as the eager Dispatch + Combine they are compared with (returning the rows
    /// would add a copy). HighThroughput: they return the rows they were given (Unpermute reads them in place), as the
    /// eager forward — Dispatch, Permute, Unpermute, Combine — they are compared with.
    /// </summary>
    public EpCapturedStep Capture() => _layer.CaptureStep(_tokens, _topkIdx, _topkWeights,
        rows => _layer.Spec.Algorithm == EpAlgorithm.LowLatency ? rows.Output : rows.Tokens);

    /// <summary>
    /// Captures this step's forward and backward pass (HighThroughput), as the eager step they are compared with: the
    /// experts are the identity both ways, and the gradient of the combined rows is the fixed upstream gradient.
    /// </summary>
    public EpCapturedStep CaptureTraining() => _layer.CaptureTrainingStep(_tokens, _topkIdx, _topkWeights, rows => rows.Tokens, combined => _gradOutput,
        rows => rows.Tokens);

    /// <summary>Row t of the result is row t + 1 of <paramref name="table"/> (the last row is the first): [T, <paramref name="width"/>].</summary>
    internal static T[] MovedUpByOneRow<T>(ReadOnlySpan<T> table, int width)
    {
        var moved = new T[table.Length];
        if (table.Length > 0)
        {
            table[width..].CopyTo(moved);
            table[..width].CopyTo(moved.AsSpan(table.Length - width));
        }

        return moved;
    }

    /// <summary>Frees the inputs (the layer's own buffers stay with the layer).</summary>
    public void Dispose()
    {
        _tokens.Dispose();
        _topkIdx.Dispose();
        _topkWeights.Dispose();
        _movedIdx?.Dispose();
        _movedWeights?.Dispose();
        _gradOutput.Dispose();
        _expertOutput?.Dispose();
        _gradPermuted?.Dispose();
    }
}
