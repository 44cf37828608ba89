namespace Ep;

/// <summary>
/// One engine instance per <see cref="EpGroup"/>: the seam between the engine-neutral runtime (state, shape
/// checks, lifetimes) and an implementation (Reference on the CPU; Staged and NcclEp on GPUs).
/// </summary>
internal interface IEpEngine : System.IDisposable
{
    EpEngineKind Kind { get; }

    /// <summary>Why this engine was chosen, logged once per group.</summary>
    string Reason { get; }

    /// <summary>Creates the per-layer state (buffers, handles). Collective: every rank creates its layers in the same order.</summary>
    IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName);

    /// <summary>Collective: allocates a tensor at the same window offset on every rank.</summary>
    SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
        where T : unmanaged;
}

/// <summary>
/// The eight operations of DESIGN.md section 3 for one layer instance. Callers have checked shapes and call order;
/// engines check data (routing ids, capacity) and must leave outputs untouched when they throw.
/// </summary>
internal interface IEpLayerEngine : System.IDisposable
{
    /// <summary>The engine that runs this layer (an Auto NcclEp group runs a layer NCCL EP cannot take on Staged).</summary>
    EpEngineKind Kind { get; }

    /// <summary>
    /// The CUDA stream (<c>CUstream</c>) every operation of this layer is issued on, or zero on the CPU. Tools that time
    /// the operations (bench/Ep.Bench) record CUDA events on it; nothing else may enqueue work here.
    /// </summary>
    System.IntPtr DeviceStream { get; }

    EpDispatchResult Dispatch(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights);

    /// <summary>
    /// Collective: starts Dispatch's routing checks from the ids and weights as they are when this call's work runs (the
    /// engine keeps them), for the next <see cref="DispatchPrepared"/>; any other Dispatch or captured step replaces them.
    /// </summary>
    void PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights);

    /// <summary>Dispatch with the prepared ids and weights (the caller checked that <paramref name="tokens"/> has their rows).</summary>
    EpDispatchResult DispatchPrepared(long step, DeviceTensor<BFloat16> tokens);

    EpPermutedBatch Permute(EpDispatchResult dispatched);

    DeviceTensor<BFloat16> Unpermute(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput);

    DeviceTensor<BFloat16> Combine(DeviceTensor<BFloat16> combineInput);

    DeviceTensor<BFloat16> CombineBackward(DeviceTensor<BFloat16> gradOutput);

    EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput);

    DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted);

    EpDispatchGradients DispatchBackward(DeviceTensor<BFloat16> gradReceived, DeviceTensor<float>? gradReceivedWeights);
}
