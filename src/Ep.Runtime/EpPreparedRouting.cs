namespace Ep;

/// <summary>
/// A step's routing whose checks a layer instance started ahead of its Dispatch (<c>PrepareDispatch</c>): the ids and
/// weights as that call read them, for exactly one <c>Dispatch(tokens, routing)</c> of the same instance. Any other
/// step start of the instance (a Dispatch with ids, a capture, a replay, another PrepareDispatch) replaces it. A value
/// (nothing is allocated per step); <c>default</c> is no routing, which every Dispatch refuses.
/// </summary>
/// <remarks>
/// The counterpart of TransformerEngine's <c>ep_prepare</c> and of NCCL EP <c>ep_bench</c>'s handle set before its timed
/// loop: started as soon as the router has written the ids, the checks run on the device while the caller enqueues
/// other work, and the Dispatch that follows only reads their verdict.
/// </remarks>
public readonly struct EpPreparedRouting
{
    internal EpPreparedRouting(EpLayerRuntime layer, long preparation, int tokenCount)
    {
        Layer = layer;
        Preparation = preparation;
        TokenCount = tokenCount;
    }

    /// <summary>T, the rows of the ids and weights this routing was prepared from: the Dispatch's tokens must have as many.</summary>
    public int TokenCount { get; }

    /// <summary>The layer instance that prepared it; null for <c>default</c>.</summary>
    internal EpLayerRuntime? Layer { get; }

    /// <summary>Which of that instance's preparations it is (1, 2, …).</summary>
    internal long Preparation { get; }
}
