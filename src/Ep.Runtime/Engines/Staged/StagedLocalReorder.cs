using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// The buffers the local reorderings read and write on one rank, allocated by the layer that owns them.
/// </summary>
/// <param name="ReceivedRows">The Flat received rows [N, H] Permute reads.</param>
/// <param name="ReceivedIdx">The Flat received rows' local expert ids [N, K] (Flat; m(n, j) is computed from them).</param>
/// <param name="RankInExpert">[N × K] scratch: each (row, slot)'s rank within its local expert (Flat).</param>
/// <param name="RankTileCounts">[RankTiles(N), L] scratch: each tile's rows per local expert, for the ranks (Flat).</param>
/// <param name="Layout">The step's [L] group offsets and counts on the device: an expert-major Dispatch uploads them, a
/// Flat step's first call that reads them (see <c>EnsureFlatPermutation</c>).</param>
/// <param name="PermutedRow">[N × K] m(n, j), the permuted row of each received (row, slot) (Flat).</param>
/// <param name="ReceivedWeights">Flat routing weights [N, K] of the received rows.</param>
/// <param name="RowSource">[M] the received row behind each expert-major row, −1 for padding (expert-major).</param>
/// <param name="RowWeights">[M] the routing weight of each expert-major row.</param>
/// <param name="Permuted">Flat Permute's result.</param>
/// <param name="Unpermuted">Unpermute's result (symmetric memory for ZeroCopy layers).</param>
/// <param name="GradExpertOutput">UnpermuteBackward's expert-output gradient.</param>
/// <param name="GradWeights">UnpermuteBackward's weight gradient.</param>
/// <param name="GradReceived">PermuteBackward's result.</param>
internal sealed record StagedReorderBuffers(
    DeviceTensor<BFloat16> ReceivedRows,
    DeviceTensor<long> ReceivedIdx,
    DeviceTensor<int> RankInExpert,
    DeviceTensor<int> RankTileCounts,
    StagedLayoutTables Layout,
    DeviceTensor<int> PermutedRow,
    DeviceTensor<float> ReceivedWeights,
    DeviceTensor<int> RowSource,
    DeviceTensor<float> RowWeights,
    DeviceTensor<BFloat16> Permuted,
    DeviceTensor<BFloat16> Unpermuted,
    DeviceTensor<BFloat16> GradExpertOutput,
    DeviceTensor<float> GradWeights,
    DeviceTensor<BFloat16> GradReceived);

/// <summary>
/// The local reorderings of docs/semantics.md — Permute, Unpermute, UnpermuteBackward, PermuteBackward — as kernel
/// launches on one rank's stream, shared by the Staged and NcclEp layers (only the exchanges differ between them).
/// Holds the step's received layout (rows, counts, offsets) that Dispatch set, and the layer's poisoning test hook.
/// </summary>
internal sealed class StagedLocalReorder
{
    private readonly EpLayerSpec _spec;
    private readonly StagedKernels _kernels;
    private readonly CudaStreamHandle _stream;
    private readonly StagedReorderBuffers _b;
    private readonly LowLatencyGroupPadding? _padding;
    private readonly Func<bool> _poisonOutputs;
    private readonly bool _expertMajor;
    private readonly StagedRowViews<BFloat16> _permuted;
    private readonly StagedRowViews<BFloat16> _unpermuted;
    private readonly StagedRowViews<BFloat16> _gradExpertOutput;
    private readonly StagedRowViews<float> _gradWeights;
    private readonly StagedRowViews<BFloat16> _gradReceived;

    // Flat: whether this step's m(n, j) is still to be computed (by the step's first call that reads it).
    private bool _flatPermutationPending;

    // Permute's results, two in turn, and the backward results of the latest views: reused so that these calls
    // allocate nothing in steady state (the layer still refuses a previous step's batch: it is the other object).
    private readonly EpPermutedBatch?[] _batches = new EpPermutedBatch?[2];
    private int _batchSlot;
    private EpUnpermuteGradients? _unpermuteGradients;

    /// <param name="spec">The layer.</param>
    /// <param name="kernels">The layer's kernels, on the rank's stream.</param>
    /// <param name="stream">The rank's stream (for fills).</param>
    /// <param name="buffers">The buffers read and written.</param>
    /// <param name="padding">LowLatency: the layer's group padding tracker (Unpermute keeps its padding zero through it); otherwise null.</param>
    /// <param name="poisonOutputs">The owning engine's test hook: whether outputs are filled with NaN before they are written.</param>
    public StagedLocalReorder(EpLayerSpec spec, StagedKernels kernels, CudaStreamHandle stream, StagedReorderBuffers buffers, LowLatencyGroupPadding? padding,
        Func<bool> poisonOutputs)
    {
        _spec = spec;
        _kernels = kernels;
        _stream = stream;
        _b = buffers;
        _padding = padding;
        _poisonOutputs = poisonOutputs;
        _expertMajor = spec.Algorithm == EpAlgorithm.LowLatency || spec.Layout == EpLayout.ExpertMajor;
        _permuted = new StagedRowViews<BFloat16>(buffers.Permuted);
        _unpermuted = new StagedRowViews<BFloat16>(buffers.Unpermuted);
        _gradExpertOutput = new StagedRowViews<BFloat16>(buffers.GradExpertOutput);
        _gradWeights = new StagedRowViews<float>(buffers.GradWeights);
        _gradReceived = new StagedRowViews<BFloat16>(buffers.GradReceived);
    }

    /// <summary>N, the Flat rows received in the current step.</summary>
    public int ReceivedRows { get; private set; }

    /// <summary>M, the rows of the expert-major order (Flat: the real pairs; expert-major: including padding).</summary>
    public int LayoutRows { get; private set; }

    /// <summary>Real rows per local expert in the current step (never changed once set: results share it).</summary>
    public int[] ExpertCounts { get; private set; } = [];

    /// <summary>First row of each local expert's group in the current step (never changed once set).</summary>
    public int[] ExpertOffsets { get; private set; } = [];

    /// <summary>Sets the step a Dispatch committed. The arrays are handed to results as they are, so the caller must not change them afterwards.</summary>
    public void SetStep(int receivedRows, int layoutRows, int[] expertCounts, int[] expertOffsets)
    {
        ReceivedRows = receivedRows;
        LayoutRows = layoutRows;
        ExpertCounts = expertCounts;
        ExpertOffsets = expertOffsets;
        _flatPermutationPending = !_expertMajor;
    }

    /// <summary>Fills <paramref name="buffer"/> with all-ones words (NaN in bf16 and fp32, −1 in int) when poisoning is on; returns whether it did.</summary>
    public bool Poison<T>(DeviceTensor<T> buffer)
        where T : unmanaged
    {
        if (!_poisonOutputs())
        {
            return false;
        }

        StagedMemory.Fill(StagedMemory.Address(buffer), 0xFFFFFFFFu, buffer.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() / 4, _stream);
        return true;
    }

    /// <summary>Flat: copies each received row to its experts' groups. Expert-major layouts are already permuted: a view.</summary>
    public EpPermutedBatch Permute(EpDispatchResult dispatched)
    {
        if (_expertMajor)
        {
            return Batch(dispatched.Step, dispatched.Tokens);
        }

        Poison(_b.Permuted);
        EnsureFlatPermutation();
        _kernels.PermuteRows(Address(_b.ReceivedRows), Address(_b.PermutedRow), 0, ReceivedRows, Address(_b.Permuted));
        return Batch(dispatched.Step, _permuted.Rows(LayoutRows));
    }

    /// <summary>The next of the two batch objects, renewed for this step (created the first time each is used).</summary>
    private EpPermutedBatch Batch(long step, DeviceTensor<BFloat16> tokens)
    {
        _batchSlot ^= 1;
        return _batches[_batchSlot] is { } batch
            ? batch.Renew(step, tokens, ExpertCounts, ExpertOffsets)
            : _batches[_batchSlot] = new EpPermutedBatch(step, tokens, ExpertCounts, ExpertOffsets);
    }

    /// <summary>
    /// Flat: sums each received row's expert outputs (weighted when the layer says so). ExpertMajor: scales each row by
    /// its weight (or copies it). LowLatency: copies (its Combine applies the weights).
    /// </summary>
    public DeviceTensor<BFloat16> Unpermute(DeviceTensor<BFloat16> expertOutput)
    {
        bool poisoned = Poison(_b.Unpermuted);
        if (_padding is not null)
        {
            // LowLatency's fixed groups: only the real rows are copied (most rows are padding, already zero; its Combine
            // applies the weights), and the rows the step vacated are cleared. No row map: the counts say which are real.
            _padding.Overwritten(LowLatencyGroupBuffer.Unpermuted, poisoned);
            _padding.CopyRealRows(Address(expertOutput), Address(_b.Unpermuted), LargestExpertCount());
            _padding.ClearVacated(LowLatencyGroupBuffer.Unpermuted, Address(_b.Unpermuted));
            return _unpermuted.Rows(LayoutRows);
        }

        EnsureFlatPermutation();
        LaunchUnpermute(Address(expertOutput), EagerRows);
        return _unpermuted.Rows(StepRows);
    }

    /// <summary>
    /// A captured HighThroughput step's Permute, where the counts exist only on the device: Flat counts each local
    /// expert's rows (into <paramref name="expertCounts"/>) and ranks each (row, slot) within it, the groups' offsets
    /// follow by a prefix sum, then m(n, j) and the permuted rows — the eager Permute's kernels, launched for
    /// <paramref name="capacityRows"/> received rows and reading the real count at device address
    /// <paramref name="receivedRows"/>. Expert-major: nothing (the received rows are the experts').
    /// </summary>
    public void PermuteOnDevice(int capacityRows, int localExperts, ulong receivedRows, ulong expertCounts)
    {
        if (_expertMajor)
        {
            return;
        }

        _kernels.RankInExpert(Address(_b.ReceivedIdx), capacityRows, localExperts, Address(_b.RankInExpert), Address(_b.RankTileCounts), receivedRows,
            expertCounts);
        _kernels.GroupOffsets(expertCounts, localExperts, Address(_b.Layout.Offsets));
        _kernels.FinishRows(Address(_b.ReceivedIdx), Address(_b.RankInExpert), Address(_b.Layout.Offsets), capacityRows, _spec.TopK,
            Address(_b.PermutedRow), 0, 0, receivedRows);
        _kernels.PermuteRows(Address(_b.ReceivedRows), Address(_b.PermutedRow), 0, capacityRows, Address(_b.Permuted), receivedRows);
    }

    /// <summary>
    /// A captured HighThroughput step's Unpermute into the Unpermute buffer, as the eager one (Flat: each row's sum;
    /// expert-major: each row scaled, weighted when the layer applies weights), for the rows the device count at
    /// <paramref name="receivedRows"/> says arrived. Expert-major marks no padding rows: NCCL EP zero-fills them, and no
    /// token's Combine reads them.
    /// </summary>
    public void UnpermuteOnDevice(DeviceTensor<BFloat16> expertOutput, int capacityRows, ulong receivedRows) =>
        LaunchUnpermute(Address(expertOutput), DeviceRows(capacityRows, receivedRows));

    /// <summary>
    /// A captured training step's UnpermuteBackward, as the eager one, for the rows the device count at
    /// <paramref name="receivedRows"/> says arrived: dExpertOut (c · dz) into the expert-output-gradient buffer and,
    /// when the layer applies weights, dWeights into the weight-gradient buffer. Flat uses the m(n, j) that
    /// <see cref="PermuteOnDevice"/> computed; expert-major marks no padding rows (no row map exists on the device; pad
    /// slots carry weight 0 and no token's gradient reads them).
    /// </summary>
    public void UnpermuteBackwardOnDevice(DeviceTensor<BFloat16> expertOutput, ulong gradCombineInput, int capacityRows, ulong receivedRows) =>
        LaunchUnpermuteBackward(Address(expertOutput), gradCombineInput, DeviceRows(capacityRows, receivedRows));

    /// <summary>A captured training step's PermuteBackward into its buffer, as the eager one, for the rows that arrived.</summary>
    public void PermuteBackwardOnDevice(DeviceTensor<BFloat16> gradPermuted, int capacityRows, ulong receivedRows) =>
        LaunchPermuteBackward(Address(gradPermuted), DeviceRows(capacityRows, receivedRows));

    /// <summary>
    /// The rows a HighThroughput reordering launch covers, and how padding and the real count are known: an eager step
    /// launches for its exact counts (Flat: received rows; expert-major: layout rows, padding marked in the row map);
    /// a captured step for the receive capacity, reading the real count on the device and marking no padding.
    /// </summary>
    private readonly record struct ReorderRows(int Flat, int ExpertMajor, ulong RowSource, ulong RowCount);

    private ReorderRows EagerRows => new(ReceivedRows, LayoutRows, Address(_b.RowSource), 0);

    private static ReorderRows DeviceRows(int capacityRows, ulong receivedRows) => new(capacityRows, capacityRows, 0, receivedRows);

    /// <summary>Rows of this eager step's results: Flat, the received rows; expert-major, the layout's.</summary>
    private int StepRows => _expertMajor ? LayoutRows : ReceivedRows;

    /// <summary>Unpermute's launch (HighThroughput): Flat, each row's (weighted) sum; expert-major, each row scaled or copied.</summary>
    private void LaunchUnpermute(ulong expertOutput, ReorderRows rows)
    {
        if (_expertMajor)
        {
            _kernels.ScaleRows(expertOutput, rows.RowSource, RowUnpermuteWeights, rows.ExpertMajor, Address(_b.Unpermuted), rows.RowCount);
        }
        else
        {
            _kernels.GatherSumRows(expertOutput, Address(_b.PermutedRow), FlatUnpermuteWeights, rows.Flat, Address(_b.Unpermuted), rows.RowCount);
        }
    }

    /// <summary>UnpermuteBackward's launches: dExpertOut = c · dz, and dWeights = ⟨dz, expertOut⟩ when the layer applies weights.</summary>
    private void LaunchUnpermuteBackward(ulong expertOutput, ulong gradCombineInput, ReorderRows rows)
    {
        bool weighted = _spec.ApplyWeightsInCombine;
        if (!_expertMajor)
        {
            _kernels.PermuteRows(gradCombineInput, Address(_b.PermutedRow), FlatUnpermuteWeights, rows.Flat, Address(_b.GradExpertOutput), rows.RowCount);
            if (weighted)
            {
                _kernels.WeightGradsFlat(gradCombineInput, expertOutput, Address(_b.PermutedRow), rows.Flat, _spec.TopK, Address(_b.GradWeights), rows.RowCount);
            }

            return;
        }

        _kernels.ScaleRows(gradCombineInput, rows.RowSource, RowUnpermuteWeights, rows.ExpertMajor, Address(_b.GradExpertOutput), rows.RowCount);
        if (weighted)
        {
            _kernels.WeightGradsRows(gradCombineInput, expertOutput, rows.RowSource, rows.ExpertMajor, Address(_b.GradWeights), rows.RowCount);
        }
    }

    /// <summary>PermuteBackward's launch: Flat, each received row's sum of its permuted gradients; expert-major, a copy.</summary>
    private void LaunchPermuteBackward(ulong gradPermuted, ReorderRows rows)
    {
        if (_expertMajor)
        {
            _kernels.ScaleRows(gradPermuted, rows.RowSource, 0, rows.ExpertMajor, Address(_b.GradReceived), rows.RowCount);
        }
        else
        {
            _kernels.GatherSumRows(gradPermuted, Address(_b.PermutedRow), 0, rows.Flat, Address(_b.GradReceived), rows.RowCount);
        }
    }

    /// <summary>Unpermute's weights for Flat rows ([N, K]), or 0 when the layer does not apply them.</summary>
    private ulong FlatUnpermuteWeights => _spec.ApplyWeightsInCombine ? Address(_b.ReceivedWeights) : 0;

    /// <summary>Unpermute's weights for expert-major rows ([M]), or 0 when the layer does not apply them.</summary>
    private ulong RowUnpermuteWeights => _spec.ApplyWeightsInCombine ? Address(_b.RowWeights) : 0;

    /// <summary>The largest of this step's per-expert counts (LowLatency: the most real rows in one group).</summary>
    private int LargestExpertCount()
    {
        int largest = 0;
        foreach (int count in ExpertCounts)
        {
            largest = Math.Max(largest, count);
        }

        return largest;
    }

    /// <summary>dExpertOut = c · dz scattered to the permuted rows; dWeights = ⟨dz, expertOut⟩ per (row, slot) when weighted.</summary>
    public EpUnpermuteGradients UnpermuteBackward(DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        bool weighted = _spec.ApplyWeightsInCombine;
        Poison(_b.GradExpertOutput);
        if (weighted)
        {
            Poison(_b.GradWeights);
        }

        EnsureFlatPermutation();
        LaunchUnpermuteBackward(Address(expertOutput), Address(gradCombineInput), EagerRows);
        return EpUnpermuteGradients.Of(_gradExpertOutput.Rows(LayoutRows), weighted ? _gradWeights.Rows(StepRows) : null, ref _unpermuteGradients);
    }

    /// <summary>Flat: sums each received row's permuted gradients. Expert-major: a copy with padding rows zeroed.</summary>
    public DeviceTensor<BFloat16> PermuteBackward(DeviceTensor<BFloat16> gradPermuted)
    {
        Poison(_b.GradReceived);
        EnsureFlatPermutation();
        LaunchPermuteBackward(Address(gradPermuted), EagerRows);
        return _gradReceived.Rows(StepRows);
    }

    /// <summary>
    /// Flat: m(n, j) = the first row of (n, j)'s local expert + the rank of (n, j) among that expert's entries, by
    /// increasing n. Computed by the step's first call that reads it (Permute, in a well-formed step) instead of by
    /// Dispatch: Dispatch's Flat result does not contain it, and the two launches scan every received id once per
    /// local expert (43 µs of an NcclEp HT Dispatch on an H100, which ep_bench's dispatch does not do either). The
    /// groups' offsets it reads are uploaded here too, for the same reason: after NCCL EP's dispatch their copy held
    /// the stream 5.9 µs (run 17). Their staging array is rewritten only by a later step's call, after that step's
    /// Dispatch has waited for its routing read-back, which the stream orders after this upload.
    /// </summary>
    private void EnsureFlatPermutation()
    {
        if (!_flatPermutationPending)
        {
            return;
        }

        _b.Layout.Upload(ExpertOffsets, ExpertCounts, _stream);
        _kernels.RankInExpert(Address(_b.ReceivedIdx), ReceivedRows, ExpertCounts.Length, Address(_b.RankInExpert), Address(_b.RankTileCounts));
        _kernels.FinishRows(Address(_b.ReceivedIdx), Address(_b.RankInExpert), Address(_b.Layout.Offsets), ReceivedRows, _spec.TopK,
            Address(_b.PermutedRow), 0, 0);
        _flatPermutationPending = false;
    }

    private static ulong Address<T>(DeviceTensor<T>? tensor)
        where T : unmanaged => StagedMemory.Address(tensor);
}
