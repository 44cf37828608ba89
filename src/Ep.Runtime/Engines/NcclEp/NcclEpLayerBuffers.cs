using System;
using System.Collections.Generic;
using Ep.Engines.Staged;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Every device buffer of one NcclEp layer instance on one rank, allocated once at the worst case (NCCL EP's output
/// tensors must hold its slot counts, and a step never allocates). Results are row views of these.
/// </summary>
internal sealed class NcclEpLayerBuffers : IDisposable
{
    private readonly List<IDisposable> _owned = new();

    // symmetric: for ZeroCopy layers, allocates the buffers peers write (dispatch output) and read (combine input).
    public NcclEpLayerBuffers(EpLayerSpec spec, NcclEpLayerShape shape, EpDevice device, Func<int, int, SymmetricTensor<BFloat16>>? symmetric)
    {
        int h = spec.HiddenSize, k = spec.TopK, maxTokens = spec.MaxTokensPerRank, ranks = shape.Ranks;
        int slots = shape.ReceiveSlots, permutedRows = shape.PermutedRows;

        // Routing checks before any NCCL EP call, as in the Staged engine (one record per rank, gathered).
        RouteRecords = Own(new StagedRouteRecordTurns(device, ranks, spec.Experts));

        // Source side. NCCL EP reads the ids and weights after the call that was given them: the layer's own copies.
        Sources = Own(new NcclEpSourceCopies(device, maxTokens, k));
        CombineOutput = Own(DeviceTensor<BFloat16>.Allocate(device, maxTokens, h));
        GradTokens = Own(DeviceTensor<BFloat16>.Allocate(device, maxTokens, h));
        GradTopkWeights = Own(DeviceTensor<float>.Allocate(device, maxTokens, k));

        // NCCL EP's dispatch outputs: Flat [slots, H] + [slots, K] ids and weights; expert-major [slots, H] + [slots] weights.
        RecvRows = Own(symmetric is not null ? symmetric(slots, h) : DeviceTensor<BFloat16>.Allocate(device, slots, h));
        RecvIdx = Own(DeviceTensor<long>.Allocate(device, shape.ExpertMajor ? 0 : slots, k));
        RecvWeights = Own(Weights(device, slots, shape.ExpertMajor, k));
        ZeroWeights = Own(Weights(device, slots, shape.ExpertMajor, k));
        ExpertCounters = Own(DeviceTensor<int>.Allocate(device, shape.LocalExperts));
        // HighThroughput: the received rows' total NCCL EP's handle update writes in a captured step (layout_info).
        ReceivedTotal = Own(DeviceTensor<int>.Allocate(device, shape.LowLatency ? 0 : 1));
        // HighThroughput: [rows of the captured steps' ids (Sources.CapturedIdx) the handle was last built from inside a
        // captured step (0: not known), rebuilds counted there] (see NcclEpLayer.UpdateHandleIfRoutingChanged).
        HandleState = Own(DeviceTensor<long>.Allocate(device, shape.LowLatency ? 0 : 2));

        // The expert-major order: Flat m(n, j) from the received ids; HighThroughput expert-major rows marked real or
        // padding (LowLatency's kernels tell them apart by the counts).
        RankInExpert = Own(DeviceTensor<int>.Allocate(device, shape.ExpertMajor ? 0 : checked(slots * k)));
        RankTileCounts = Own(DeviceTensor<int>.Allocate(device, shape.ExpertMajor ? 0 : StagedKernels.RankTiles(slots), shape.LocalExperts));
        PermutedRow = Own(DeviceTensor<int>.Allocate(device, shape.ExpertMajor ? 0 : checked(slots * k)));
        RowSource = Own(DeviceTensor<int>.Allocate(device, shape.ExpertMajor && !shape.LowLatency ? slots : 0));
        // LowLatency: per LowLatencyGroupBuffer, the rows of each expert's group its latest step filled (the rest is known zero).
        FilledRows = Own(DeviceTensor<int>.Allocate(device, shape.LowLatency ? LowLatencyGroupPadding.TableRows : 0, shape.LocalExperts));
        Layout = Own(new StagedLayoutTables(device, shape.LocalExperts));
        Permuted = Own(DeviceTensor<BFloat16>.Allocate(device, shape.ExpertMajor ? 0 : permutedRows, h));

        // Combine's input must have NCCL EP's slot count: Unpermute writes here, other inputs are staged here.
        Unpermuted = Own(symmetric is not null ? symmetric(slots, h) : DeviceTensor<BFloat16>.Allocate(device, slots, h));
        GradReceived = Own(DeviceTensor<BFloat16>.Allocate(device, slots, h));
        GradExpertOutput = Own(DeviceTensor<BFloat16>.Allocate(device, permutedRows, h));
        GradWeights = Own(Weights(device, slots, shape.ExpertMajor, k));
        GradFlat = Own(DeviceTensor<BFloat16>.Allocate(device, slots, h));
        GradReceivedWeights = Own(Weights(device, slots, shape.ExpertMajor, k));
    }

    /// <summary>The two routing records Dispatch writes in turn; <see cref="NcclRoutingGather"/> gathers the one just written (<see cref="StagedRouteRecord"/>).</summary>
    public StagedRouteRecordTurns RouteRecords { get; }
    public NcclEpSourceCopies Sources { get; }
    public DeviceTensor<BFloat16> CombineOutput { get; }
    public DeviceTensor<BFloat16> GradTokens { get; }
    public DeviceTensor<float> GradTopkWeights { get; }
    public DeviceTensor<BFloat16> RecvRows { get; }
    public DeviceTensor<long> RecvIdx { get; }
    public DeviceTensor<float> RecvWeights { get; }
    public DeviceTensor<float> ZeroWeights { get; }
    public DeviceTensor<int> ExpertCounters { get; }
    public DeviceTensor<int> ReceivedTotal { get; }
    public DeviceTensor<long> HandleState { get; }
    public DeviceTensor<int> RankInExpert { get; }
    public DeviceTensor<int> RankTileCounts { get; }
    public DeviceTensor<int> PermutedRow { get; }
    public DeviceTensor<int> RowSource { get; }
    public DeviceTensor<int> FilledRows { get; }
    public StagedLayoutTables Layout { get; }
    public DeviceTensor<int> ExpertOffsets => Layout.Offsets;
    public DeviceTensor<int> ExpertCounts => Layout.Counts;
    public DeviceTensor<BFloat16> Permuted { get; }
    public DeviceTensor<BFloat16> Unpermuted { get; }
    public DeviceTensor<BFloat16> GradReceived { get; }
    public DeviceTensor<BFloat16> GradExpertOutput { get; }
    public DeviceTensor<float> GradWeights { get; }
    public DeviceTensor<BFloat16> GradFlat { get; }
    public DeviceTensor<float> GradReceivedWeights { get; }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    /// <summary>Routing weights of received rows: expert-major one per row ([slots]), Flat one per slot of each row ([slots, K]).</summary>
    private static DeviceTensor<float> Weights(EpDevice device, int slots, bool expertMajor, int topK) =>
        expertMajor ? DeviceTensor<float>.Allocate(device, slots) : DeviceTensor<float>.Allocate(device, slots, topK);

    private T Own<T>(T buffer)
        where T : IDisposable
    {
        _owned.Add(buffer);
        return buffer;
    }
}
