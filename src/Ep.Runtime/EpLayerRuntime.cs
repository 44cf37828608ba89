using System;
using System.ComponentModel;
using System.Globalization;

namespace Ep;

/// <summary>
/// The engine-neutral core of one generated layer instance: rule checks against the real group, call order,
/// lifetimes, and the hand-off to the group's engine. Generated layers own one and check shapes before calling it.
/// </summary>
/// <remarks>
/// One step is Dispatch → [Permute → Unpermute] → Combine, then optionally the backward calls. A new Dispatch starts
/// the next step and is refused while the current one has not reached Combine. Results of older steps are refused.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class EpLayerRuntime : IDisposable
{
    private readonly IEpLayerEngine _engine;
    private long _step;
    private EpDispatchResult? _dispatched;
    private EpPermutedBatch? _permuted;
    private bool _unpermuted;
    private bool _combined;
    private bool _disposed;

    /// <summary>Checks <paramref name="spec"/> against <paramref name="group"/> and creates the engine's layer state.</summary>
    public EpLayerRuntime(EpGroup group, EpLayerSpec spec, string kernelSource, string layerName)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(kernelSource);
        ArgumentNullException.ThrowIfNull(layerName);
        if (spec.Ranks != 0 && spec.Ranks != group.WorldSize)
        {
            throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"Layer '{layerName}' is declared with Ranks = {spec.Ranks} but the group has {group.WorldSize} ranks."));
        }

        var violations = EpLayerRules.Check(spec, group.WorldSize);
        if (EpLayerRules.HasErrors(violations))
        {
            throw new EpConfigurationException(layerName, violations);
        }

        Group = group;
        Spec = spec;
        LayerName = layerName;
        Warnings = violations;
        _engine = group.Engine.CreateLayer(spec, kernelSource, layerName);
        group.Attach(this);
    }

    /// <summary>The group this layer runs on.</summary>
    public EpGroup Group { get; }

    /// <summary>The layer's constants.</summary>
    public EpLayerSpec Spec { get; }

    /// <summary>The layer's type name, for messages.</summary>
    public string LayerName { get; }

    /// <summary>Rule warnings (e.g. EP0014) that hold at the group's real rank count.</summary>
    public System.Collections.Generic.IReadOnlyList<EpRuleViolation> Warnings { get; }

    /// <summary>The engine that runs this layer: the group's, except that an Auto NcclEp group runs a layer NCCL EP cannot take on Staged.</summary>
    public EpEngineKind EngineKind => _engine.Kind;

    /// <summary>The engine's layer behind this instance (the benchmark reads engine-specific timings from it).</summary>
    internal IEpLayerEngine EngineLayer => _engine;

    /// <summary>The CUDA stream this layer's operations are issued on (zero for the CPU Reference engine); the benchmark times them with events recorded on it.</summary>
    internal IntPtr DeviceStream => _engine.DeviceStream;

    /// <summary>L, experts on each rank.</summary>
    public int LocalExperts => Spec.LocalExperts(Group.WorldSize);

    /// <summary>The current step's dispatch result, for shape checks; throws if this step has none.</summary>
    public EpDispatchResult Dispatched(string operation)
    {
        ThrowIfDisposed();
        return _dispatched ?? throw new EpStateException($"{LayerName}.{operation} was called before Dispatch; call Dispatch first.");
    }

    /// <summary>Starts a step: routes <paramref name="tokens"/> to the ranks that own their experts.</summary>
    public EpDispatchResult Dispatch(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        RequireNoStepInFlight(nameof(Dispatch));
        RequireStepInputs(tokens, topkIdx, topkWeights);
        ForgetPreparedRouting(); // this Dispatch's checks reuse the engine's copies a prepared routing holds
        return StartStep(_engine.Dispatch(_step + 1, tokens, topkIdx, topkWeights));
    }

    /// <summary>A Dispatch passed its checks: its result is the new step's.</summary>
    private EpDispatchResult StartStep(EpDispatchResult result)
    {
        _step++;
        _dispatched = result;
        _permuted = null;
        _unpermuted = false;
        _combined = false;
        return result;
    }

    /// <summary>Reorders the received rows expert-major.</summary>
    public EpPermutedBatch Permute(EpDispatchResult dispatched)
    {
        RequireCurrent(dispatched, nameof(Permute));
        EpPermutedBatch batch = _engine.Permute(dispatched);
        _permuted = batch;
        _unpermuted = false;
        return batch;
    }

    /// <summary>
    /// Sums each received row's expert outputs back into the dispatch layout (weighted when the layer says so).
    /// LowLatency: as with Dispatch's rows, leave the result's rows past each group's count as they are (docs/semantics.md).
    /// </summary>
    public DeviceTensor<BFloat16> Unpermute(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput)
    {
        RequireCurrent(batch, nameof(Unpermute));
        RequireRows(expertOutput, nameof(expertOutput), batch.RowCount, "batch.RowCount");
        DeviceTensor<BFloat16> result = _engine.Unpermute(batch, expertOutput);
        _unpermuted = true;
        return result;
    }

    /// <summary>Returns each received row to its source rank and sums a token's rows there.</summary>
    public DeviceTensor<BFloat16> Combine(DeviceTensor<BFloat16> combineInput)
    {
        EpDispatchResult dispatched = Dispatched(nameof(Combine));
        if (_combined)
        {
            throw new EpStateException(string.Create(CultureInfo.InvariantCulture,
                $"{LayerName}.Combine was already called in step {_step}; call Dispatch to start the next step."));
        }

        RequireRows(combineInput, nameof(combineInput), dispatched.RowCount, "dispatched.RowCount");
        DeviceTensor<BFloat16> result = _engine.Combine(combineInput);
        _combined = true;
        return result;
    }

    /// <summary>Sends each gradient row of the combined output to every rank that received its token.</summary>
    public DeviceTensor<BFloat16> CombineBackward(DeviceTensor<BFloat16> gradOutput)
    {
        RequireTrainable(nameof(CombineBackward));
        RequireCombined(nameof(CombineBackward));
        RequireRows(gradOutput, nameof(gradOutput), Dispatched(nameof(CombineBackward)).TokenCount, "dispatched.TokenCount");
        return _engine.CombineBackward(gradOutput);
    }

    /// <summary>Gradients of Unpermute: of the expert outputs and, when weighted, of the received weights.</summary>
    public EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        RequireTrainable(nameof(UnpermuteBackward));
        RequireCurrent(batch, nameof(UnpermuteBackward));
        if (!_unpermuted)
        {
            throw new EpStateException($"{LayerName}.UnpermuteBackward was called before Unpermute in this step.");
        }

        RequireRows(expertOutput, nameof(expertOutput), batch.RowCount, "batch.RowCount");
        RequireRows(gradCombineInput, nameof(gradCombineInput), Dispatched(nameof(UnpermuteBackward)).RowCount, "dispatched.RowCount");
        return _engine.UnpermuteBackward(batch, expertOutput, gradCombineInput);
    }

    /// <summary>Gradient of Permute: sums each expert-major gradient row back into its received row.</summary>
    public DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted)
    {
        RequireTrainable(nameof(PermuteBackward));
        RequireCurrent(batch, nameof(PermuteBackward));
        RequireRows(gradPermuted, nameof(gradPermuted), batch.RowCount, "batch.RowCount");
        return _engine.PermuteBackward(batch, gradPermuted);
    }

    /// <summary>Gradient of Dispatch: returns received-row gradients to the source ranks and sums them per token.</summary>
    public EpDispatchGradients DispatchBackward(DeviceTensor<BFloat16> gradReceived, DeviceTensor<float>? gradReceivedWeights)
    {
        RequireTrainable(nameof(DispatchBackward));
        RequireCombined(nameof(DispatchBackward));
        EpDispatchResult dispatched = Dispatched(nameof(DispatchBackward));
        RequireRows(gradReceived, nameof(gradReceived), dispatched.RowCount, "dispatched.RowCount");
        if (gradReceivedWeights is not null)
        {
            RequireDevice(gradReceivedWeights, nameof(gradReceivedWeights));
            if (dispatched.Layout == EpLayout.Flat)
            {
                EpShape.RequireMatrix(gradReceivedWeights, nameof(gradReceivedWeights), dispatched.RowCount, "dispatched.RowCount", Spec.TopK, "TopK");
            }
            else
            {
                EpShape.RequireVector(gradReceivedWeights, nameof(gradReceivedWeights), dispatched.RowCount, "dispatched.RowCount");
            }
        }

        return _engine.DispatchBackward(gradReceived, gradReceivedWeights);
    }

    /// <summary>Releases the engine's layer state and detaches from the group.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // A captured graph holds NCCL EP's buffers and handle: it goes first.
        DisposeCapturedSteps();
        _engine.Dispose();
        Group.Detach(this);
    }

    /// <summary>Refuses to start a step (or replay a captured one) while the current eager step has not reached Combine.</summary>
    private void RequireNoStepInFlight(string operation)
    {
        ThrowIfDisposed();
        if (_dispatched is not null && !_combined)
        {
            throw new EpStateException(string.Create(CultureInfo.InvariantCulture,
                $"{LayerName}.{operation} was called while step {_step} has not reached Combine; finish it, or use one layer instance per in-flight micro-batch."));
        }
    }

    /// <summary>A step's inputs: on the group's device, [T, H] tokens with T ≤ MaxTokensPerRank, [T, K] ids and weights.</summary>
    private void RequireStepInputs(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        RequireTokens(tokens);
        RequireDevice(topkIdx, nameof(topkIdx));
        RequireDevice(topkWeights, nameof(topkWeights));
        EpShape.RequireRowsAtMost(tokens, nameof(tokens), Spec.MaxTokensPerRank, "MaxTokensPerRank");
        EpShape.RequireMatrix(topkIdx, nameof(topkIdx), tokens.Rows, "tokens.Rows", Spec.TopK, "TopK");
        EpShape.RequireMatrix(topkWeights, nameof(topkWeights), tokens.Rows, "tokens.Rows", Spec.TopK, "TopK");
    }

    /// <summary>
    /// A step's tokens: on the group's device, [T, HiddenSize]. The generated layer checks the same shapes first; a caller
    /// of the runtime itself gets them here, before any engine copies a byte (a wrong size would otherwise read or write
    /// past a buffer). Each Dispatch then checks T against its routing.
    /// </summary>
    private void RequireTokens(DeviceTensor<BFloat16> tokens)
    {
        RequireDevice(tokens, nameof(tokens));
        EpShape.RequireDimensions(tokens, nameof(tokens), 2);
        EpShape.RequireColumns(tokens, nameof(tokens), Spec.HiddenSize, "HiddenSize");
    }

    /// <summary>LowLatency layers are inference-only (as NCCL EP LL is): refuse backward before any engine work.</summary>
    private void RequireTrainable(string operation)
    {
        ThrowIfDisposed();
        if (Spec.Algorithm == EpAlgorithm.LowLatency)
        {
            throw new NotSupportedException(
                $"{LayerName}.{operation}: LowLatency layers are inference-only; declare Algorithm = EpAlgorithm.HighThroughput to run backward.");
        }
    }

    private void RequireCombined(string operation)
    {
        Dispatched(operation);
        if (!_combined)
        {
            throw new EpStateException(string.Create(CultureInfo.InvariantCulture,
                $"{LayerName}.{operation} was called before Combine in step {_step}; backward starts after the forward pass."));
        }
    }

    private void RequireCurrent(EpDispatchResult dispatched, string operation)
    {
        ArgumentNullException.ThrowIfNull(dispatched);
        Dispatched(operation);
        if (!ReferenceEquals(dispatched, _dispatched))
        {
            throw new EpStateException(string.Create(CultureInfo.InvariantCulture,
                $"{LayerName}.{operation} got a dispatch result of step {dispatched.Step}, but the layer is at step {_step}; results are valid until the next Dispatch of the same layer instance."));
        }
    }

    private void RequireCurrent(EpPermutedBatch batch, string operation)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Dispatched(operation);
        if (!ReferenceEquals(batch, _permuted))
        {
            throw new EpStateException(string.Create(CultureInfo.InvariantCulture,
                $"{LayerName}.{operation} got a permuted batch of step {batch.Step} that is not this layer's latest Permute (step {_step})."));
        }
    }

    private void RequireDevice<T>(DeviceTensor<T> tensor, string name)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        EpShape.RequireDevice(tensor, name, Group.Device);
    }

    /// <summary>A row tensor on the group's device shaped [<paramref name="rows"/>, HiddenSize].</summary>
    private void RequireRows(DeviceTensor<BFloat16> tensor, string name, int rows, string rowsMeaning)
    {
        RequireDevice(tensor, name);
        EpShape.RequireMatrix(tensor, name, rows, rowsMeaning, Spec.HiddenSize, "HiddenSize");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
