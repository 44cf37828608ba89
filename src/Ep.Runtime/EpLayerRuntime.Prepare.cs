using System;

namespace Ep;

/// <summary>A step's routing checked ahead of its Dispatch (docs/semantics.md, "Prepared routing").</summary>
public sealed partial class EpLayerRuntime
{
    // The preparations so far, and the one the next Dispatch(tokens, routing) may use (0: none — used, replaced, or
    // never prepared).
    private long _preparations;
    private long _usablePreparation;

    /// <summary>
    /// Collective: starts the checks of the next step's routing on the device, from <paramref name="topkIdx"/> and
    /// <paramref name="topkWeights"/> as they are when this call's work runs, and returns without waiting for them.
    /// </summary>
    public EpPreparedRouting PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        RequireNoStepInFlight(nameof(PrepareDispatch));
        RequireRoutingInputs(topkIdx, topkWeights);
        _usablePreparation = 0; // a preparation that fails leaves none
        _engine.PrepareDispatch(topkIdx, topkWeights);
        _usablePreparation = ++_preparations;
        return new EpPreparedRouting(this, _usablePreparation, topkIdx.Rows);
    }

    /// <summary>
    /// Starts a step with a prepared routing: as <see cref="Dispatch(DeviceTensor{BFloat16}, DeviceTensor{long}, DeviceTensor{float})"/>
    /// with the ids and weights <paramref name="routing"/> was prepared from, its routing and capacity errors thrown
    /// here, before anything is exchanged.
    /// </summary>
    public EpDispatchResult Dispatch(DeviceTensor<BFloat16> tokens, EpPreparedRouting routing)
    {
        RequireNoStepInFlight(nameof(Dispatch));
        if (!ReferenceEquals(routing.Layer, this) || routing.Preparation != _usablePreparation)
        {
            throw new EpStateException(routing.Layer is null
                ? $"{LayerName}.Dispatch got no prepared routing (a default value); call PrepareDispatch first."
                : !ReferenceEquals(routing.Layer, this)
                    ? $"{LayerName}.Dispatch got a routing prepared by another layer instance ({routing.Layer.LayerName}); prepare it on this one."
                    : $"{LayerName}.Dispatch got a prepared routing that was already dispatched or was replaced by a later step start of this instance; call PrepareDispatch again.");
        }

        RequireTokens(tokens);
        EpShape.RequireRows(tokens, nameof(tokens), routing.TokenCount, "routing.TokenCount");

        _usablePreparation = 0; // used once, whether or not its checks pass
        return StartStep(_engine.DispatchPrepared(_step + 1, tokens));
    }

    /// <summary>A step's ids and weights: on the group's device, [T, K] each with T ≤ MaxTokensPerRank.</summary>
    private void RequireRoutingInputs(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        RequireDevice(topkIdx, nameof(topkIdx));
        RequireDevice(topkWeights, nameof(topkWeights));
        EpShape.RequireDimensions(topkIdx, nameof(topkIdx), 2);
        EpShape.RequireColumns(topkIdx, nameof(topkIdx), Spec.TopK, "TopK");
        EpShape.RequireRowsAtMost(topkIdx, nameof(topkIdx), Spec.MaxTokensPerRank, "MaxTokensPerRank");
        EpShape.RequireMatrix(topkWeights, nameof(topkWeights), topkIdx.Rows, "topkIdx.Rows", Spec.TopK, "TopK");
    }

    /// <summary>Every other step start replaces a prepared routing (the engines reuse its copies).</summary>
    private void ForgetPreparedRouting() => _usablePreparation = 0;
}
