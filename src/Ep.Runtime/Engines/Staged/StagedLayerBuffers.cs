using System;
using System.Collections.Generic;

namespace Ep.Engines.Staged;

/// <summary>
/// Every device buffer of one layer instance on one rank, allocated once at the worst case the layer's constants allow
/// (so a step never allocates, and results are views of these). Source-side buffers hold what this rank sends and gets
/// back; receive-side buffers hold what it received and the layouts built from it.
/// </summary>
internal sealed class StagedLayerBuffers : IDisposable
{
    private readonly List<IDisposable> _owned = new();

    public StagedLayerBuffers(EpLayerSpec spec, int ranks, EpDevice device, Func<int, int, SymmetricTensor<BFloat16>>? symmetric)
    {
        int h = spec.HiddenSize, k = spec.TopK, maxTokens = spec.MaxTokensPerRank, experts = spec.Experts;
        StagedBufferSizes sizes = StagedBufferSizes.Of(spec, ranks);
        int capacity = sizes.Capacity, sentRows = sizes.SentRows, pairRows = sizes.PairRows, layoutRows = sizes.LayoutRows;
        bool expertMajor = sizes.ExpertMajor;

        Device = device;

        // Source side.
        SourceIdx = TwoGenerations(() => DeviceTensor<long>.Allocate(device, maxTokens, k));
        SourceWeights = TwoGenerations(() => DeviceTensor<float>.Allocate(device, maxTokens, k));
        Positions = TwoGenerations(() => DeviceTensor<int>.Allocate(device, checked(ranks * maxTokens)));
        PairPositions = TwoGenerations(() => DeviceTensor<int>.Allocate(device, checked(ranks * maxTokens)));
        RouteRecords = Own(new StagedRouteRecordTurns(device, ranks, experts));
        SendOffsets = Own(DeviceTensor<int>.Allocate(device, 2 * ranks));
        SendOffsetStaging = Own(new PinnedHostBuffer<int>(2 * ranks));
        SendRows = Own(DeviceTensor<BFloat16>.Allocate(device, sentRows, h));
        SendIdx = Own(DeviceTensor<long>.Allocate(device, sentRows, k));
        SendWeights = Own(DeviceTensor<float>.Allocate(device, sentRows, k));
        ReturnRows = Own(DeviceTensor<BFloat16>.Allocate(device, checked(maxTokens * k), h));
        ReturnWeights = Own(DeviceTensor<float>.Allocate(device, checked(Math.Max(sentRows * k, maxTokens * k))));
        CombineOutput = Own(DeviceTensor<BFloat16>.Allocate(device, maxTokens, h));
        GradTokens = Own(DeviceTensor<BFloat16>.Allocate(device, maxTokens, h));
        GradTopkWeights = Own(DeviceTensor<float>.Allocate(device, maxTokens, k));

        // Receive side: the Flat rows (the result in Flat, the staging area in ExpertMajor) and their permutation.
        RecvRows = Own(DeviceTensor<BFloat16>.Allocate(device, capacity, h));
        RecvIdx = Own(DeviceTensor<long>.Allocate(device, capacity, k));
        RecvWeights = Own(DeviceTensor<float>.Allocate(device, capacity, k));
        RankInExpert = Own(DeviceTensor<int>.Allocate(device, checked(capacity * k)));
        RankTileCounts = Own(DeviceTensor<int>.Allocate(device, StagedKernels.RankTiles(capacity), sizes.LocalExperts));
        PermutedRow = Own(DeviceTensor<int>.Allocate(device, checked(capacity * k)));
        Layout = Own(new StagedLayoutTables(device, sizes.LocalExperts));
        GradFlat = Own(DeviceTensor<BFloat16>.Allocate(device, capacity, h));

        int rowsPerReceived = sizes.RowsPerReceived;
        Permuted = Own(DeviceTensor<BFloat16>.Allocate(device, expertMajor ? 0 : pairRows, h));
        Unpermuted = symmetric is not null ? Own(symmetric(rowsPerReceived, h)) : Own(DeviceTensor<BFloat16>.Allocate(device, rowsPerReceived, h));
        GradExpertOutput = Own(DeviceTensor<BFloat16>.Allocate(device, layoutRows, h));
        GradReceived = Own(DeviceTensor<BFloat16>.Allocate(device, rowsPerReceived, h));
        GradWeights = expertMajor
            ? Own(DeviceTensor<float>.Allocate(device, layoutRows))
            : Own(DeviceTensor<float>.Allocate(device, capacity, k));

        // Expert-major layout (ExpertMajor and LowLatency only).
        int layout = sizes.ExpertMajorRows;
        int pairs = sizes.ExpertMajorPairs;
        PairStart = Own(DeviceTensor<int>.Allocate(device, expertMajor ? capacity : 0));
        RowSource = Own(DeviceTensor<int>.Allocate(device, layout));
        RowSlot = Own(DeviceTensor<int>.Allocate(device, layout));
        LayoutRows = Own(DeviceTensor<BFloat16>.Allocate(device, layout, h));
        LayoutWeights = Own(DeviceTensor<float>.Allocate(device, layout));
        // LowLatency: per LowLatencyGroupBuffer, the rows of each expert's group its latest step filled (the rest is known zero).
        FilledRows = Own(DeviceTensor<int>.Allocate(device, sizes.LowLatency ? LowLatencyGroupPadding.TableRows : 0, sizes.LocalExperts));
        GradLayout = Own(DeviceTensor<BFloat16>.Allocate(device, layout, h));
        PairRows = Own(DeviceTensor<BFloat16>.Allocate(device, pairs, h));
        PairWeights = Own(DeviceTensor<float>.Allocate(device, pairs));
    }

    /// <summary>The device every buffer is on.</summary>
    public EpDevice Device { get; }

    /// <summary>
    /// Two generations of a copy of the step's topkIdx [T, K]: Combine and the backward pass need it after the caller's
    /// may be gone. The routing record writes the spare one (as the positions), so a failing Dispatch leaves the step in
    /// place its own.
    /// </summary>
    public DeviceTensor<long>[] SourceIdx { get; }

    /// <summary>Two generations of a copy of the step's topkWeights [T, K].</summary>
    public DeviceTensor<float>[] SourceWeights { get; }

    /// <summary>Two generations of [R × T] row positions per destination: a failing Dispatch fills the spare one, so the step it leaves in place keeps its own.</summary>
    public DeviceTensor<int>[] Positions { get; }

    /// <summary>Two generations of [R × T] first-pair positions per destination.</summary>
    public DeviceTensor<int>[] PairPositions { get; }

    /// <summary>The two routing records Dispatch writes in turn; the transport gathers the one just written (<see cref="StagedRouteRecord"/>).</summary>
    public StagedRouteRecordTurns RouteRecords { get; }

    /// <summary>[2R]: this rank's send offsets per destination in rows, then in pairs.</summary>
    public DeviceTensor<int> SendOffsets { get; }

    /// <summary>Page-locked staging for <see cref="SendOffsets"/> (one DMA per Dispatch, no array per call).</summary>
    public PinnedHostBuffer<int> SendOffsetStaging { get; }

    public DeviceTensor<BFloat16> SendRows { get; }

    public DeviceTensor<long> SendIdx { get; }

    public DeviceTensor<float> SendWeights { get; }

    /// <summary>Rows peers return to this rank (Combine, DispatchBackward): one per (rank, token) in Flat, one per pair otherwise.</summary>
    public DeviceTensor<BFloat16> ReturnRows { get; }

    /// <summary>Weight gradients peers return with DispatchBackward (K per row in Flat, one per pair otherwise).</summary>
    public DeviceTensor<float> ReturnWeights { get; }

    public DeviceTensor<BFloat16> CombineOutput { get; }

    public DeviceTensor<BFloat16> GradTokens { get; }

    public DeviceTensor<float> GradTopkWeights { get; }

    public DeviceTensor<BFloat16> RecvRows { get; }

    public DeviceTensor<long> RecvIdx { get; }

    public DeviceTensor<float> RecvWeights { get; }

    public DeviceTensor<int> RankInExpert { get; }

    /// <summary>[RankTiles(capacity), L]: the received rows per local expert in each tile of ep_rank_in_expert.</summary>
    public DeviceTensor<int> RankTileCounts { get; }

    /// <summary>[N × K]: m(n, j), the expert-major row of each received (row, slot); −1 for padding slots.</summary>
    public DeviceTensor<int> PermutedRow { get; }

    /// <summary>The received layout's per-expert offsets and counts, uploaded together.</summary>
    public StagedLayoutTables Layout { get; }

    /// <summary>[L]: first row of each local expert's group.</summary>
    public DeviceTensor<int> ExpertOffsets => Layout.Offsets;

    /// <summary>[L]: real rows of each local expert's group.</summary>
    public DeviceTensor<int> ExpertCounts => Layout.Counts;

    /// <summary>CombineBackward's received gradient rows, in the Flat order.</summary>
    public DeviceTensor<BFloat16> GradFlat { get; }

    /// <summary>Flat Permute's result.</summary>
    public DeviceTensor<BFloat16> Permuted { get; }

    /// <summary>Unpermute's result (symmetric memory for ZeroCopy layers).</summary>
    public DeviceTensor<BFloat16> Unpermuted { get; }

    public DeviceTensor<BFloat16> GradExpertOutput { get; }

    public DeviceTensor<BFloat16> GradReceived { get; }

    public DeviceTensor<float> GradWeights { get; }

    /// <summary>[N]: first pair of each received row in the pair order.</summary>
    public DeviceTensor<int> PairStart { get; }

    /// <summary>[M]: the received row behind each expert-major row, −1 for padding.</summary>
    public DeviceTensor<int> RowSource { get; }

    /// <summary>[M]: the slot of that row.</summary>
    public DeviceTensor<int> RowSlot { get; }

    /// <summary>The ExpertMajor / LowLatency dispatch rows.</summary>
    public DeviceTensor<BFloat16> LayoutRows { get; }

    public DeviceTensor<float> LayoutWeights { get; }

    public DeviceTensor<int> FilledRows { get; }

    /// <summary>CombineBackward's result in the expert-major layout.</summary>
    public DeviceTensor<BFloat16> GradLayout { get; }

    /// <summary>Rows in pair order for the return trip.</summary>
    public DeviceTensor<BFloat16> PairRows { get; }

    public DeviceTensor<float> PairWeights { get; }

    /// <summary>Device address of the receive buffer <paramref name="target"/> (unit 0), where peers' segments land.</summary>
    public ulong ReceiveAddress(StagedReceiveBuffer target) => target switch
    {
        StagedReceiveBuffer.RecvRows => StagedMemory.Address(RecvRows),
        StagedReceiveBuffer.RecvIdx => StagedMemory.Address(RecvIdx),
        StagedReceiveBuffer.RecvWeights => StagedMemory.Address(RecvWeights),
        StagedReceiveBuffer.GradFlat => StagedMemory.Address(GradFlat),
        StagedReceiveBuffer.ReturnRows => StagedMemory.Address(ReturnRows),
        StagedReceiveBuffer.ReturnWeights => StagedMemory.Address(ReturnWeights),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Not a receive buffer."),
    };

    public void Dispose()
    {
        foreach (IDisposable buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
    }

    private T Own<T>(T buffer)
        where T : IDisposable
    {
        _owned.Add(buffer);
        return buffer;
    }

    /// <summary>Two owned buffers alike: the generation a step uses and the spare the next Dispatch fills before its checks pass.</summary>
    private DeviceTensor<T>[] TwoGenerations<T>(Func<DeviceTensor<T>> allocate)
        where T : unmanaged => [Own(allocate()), Own(allocate())];
}
