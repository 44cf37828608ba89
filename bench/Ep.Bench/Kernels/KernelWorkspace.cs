using System;
using System.Collections.Generic;
using System.Globalization;
using Ep.Bench.Routing;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;

namespace Ep.Bench.Kernels;

/// <summary>
/// One rank's device buffers for timing the kernels alone, filled by running the routing and layout kernels in the
/// Staged engine's call order (native/kernels/README.md, Dispatch): the routing record with send positions, its
/// read-back, pack, rank in expert, finish rows, scan pairs. At one rank the pack's send segment is the receive buffer
/// (the exchange is the identity), so everything after it reads what Dispatch would have received. Deterministic and
/// independent of any engine's internal state.
/// </summary>
internal sealed class KernelWorkspace : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>Uploads <paramref name="inputs"/> and lays them out; throws when the device's counts disagree with the host's.</summary>
    public KernelWorkspace(EpLayerSpec spec, RankInputs inputs, int tokens, StagedKernels kernels, CudaStreamHandle stream)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(kernels);
        EpDevice device = EpDevice.Gpu(0);
        int h = spec.HiddenSize, k = spec.TopK, experts = spec.Experts;
        Counts = KernelCounts.OneRank(inputs.TopkIdx, k, h);
        int n = Counts.ReceivedRows, m = Counts.Pairs;
        DeviceTensor<T> Own<T>(int rows, int columns)
            where T : unmanaged
        {
            DeviceTensor<T> tensor = DeviceTensor<T>.Allocate(device, Math.Max(rows, 1), columns);
            _owned.Add(tensor);
            return tensor;
        }

        Tokens = Own<BFloat16>(tokens, h);
        Idx = Own<long>(tokens, k);
        Weights = Own<float>(tokens, k);
        GradRows = Own<BFloat16>(n, h);
        Positions = Own<int>(tokens, 1);
        PairPositions = Own<int>(tokens, 1);
        RoutingCounts = Own<int>(2, 1);
        RouteRecords = new StagedRouteRecordTurns(device, 1, experts);
        _owned.Add(RouteRecords);
        SendOffsets = Own<int>(2, 1);
        RecvRows = Own<BFloat16>(n, h);
        RecvIdx = Own<long>(n, k);
        RecvWeights = Own<float>(n, k);
        RankInExpert = Own<int>(n, k);
        RankTileCounts = Own<int>(StagedKernels.RankTiles(n), experts); // one rank holds every expert
        ExpertOffsets = Own<int>(experts, 1);
        ExpertCounts = Own<int>(experts, 1);
        PermutedRow = Own<int>(n, k);
        RowSource = Own<int>(m, 1);
        RowSlot = Own<int>(m, 1);
        ExpertOutput = Own<BFloat16>(m, h);
        Permuted = Own<BFloat16>(m, h);
        Unpermuted = Own<BFloat16>(n, h);
        Expanded = Own<BFloat16>(m, h);
        ExpandedWeights = Own<float>(m, 1);
        Scaled = Own<BFloat16>(m, h);
        Output = Own<BFloat16>(tokens, h);
        GradWeights = Own<float>(n, k);
        PairStart = Own<int>(n, 1);
        SanitizedIdx = Own<long>(tokens, k);
        SanitizedWeights = Own<float>(tokens, k);
        StepError = Own<long>(4 * StagedKernels.EntryBlocks(tokens, k), 1);
        HandleState = Own<long>(2, 1);
        Pairs = Own<BFloat16>(m, h);

        StagedMemory.Upload<BFloat16>(inputs.Tokens.AsSpan(0, tokens * h), A(Tokens), stream);
        StagedMemory.Upload<long>(inputs.TopkIdx.AsSpan(0, tokens * k), A(Idx), stream);
        StagedMemory.Upload<float>(inputs.TopkWeights.AsSpan(0, tokens * k), A(Weights), stream);
        StagedMemory.Upload<BFloat16>(inputs.GradOutput.AsSpan(0, n * h), A(GradRows), stream);
        // Expert outputs: bf16 0.5 pairs, non-zero (never time zeros); their values do not change any kernel's work.
        StagedMemory.Fill(A(ExpertOutput), 0x3F003F00u, (long)m * h / 2, stream);
        StagedMemory.Fill(A(SendOffsets), 0, 2, stream);

        int local = experts; // one rank holds every expert
        ulong written = kernels.RouteRecord(A(Idx), tokens, k, 1, local, A(Positions), A(PairPositions), RouteRecords, heldIdx: 0);
        long[] record = StagedMemory.Download<long>(written, StagedRouteRecord.Words(1, experts), stream);
        StagedRouteSummary summary = StagedRouteRecord.Read(record, 1, experts, error: null);
        int[] counts = [summary.RowsTo[0], summary.PairsTo[0], .. summary.ExpertCounts];
        long error = StagedRouteRecord.ErrorKey(record);
        if (error != StagedRouteRecord.NoError || counts[0] != n || counts[1] != m)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The routing kernels disagree with the host: error key {error} (expected none), rows {counts[0]} (host {n}) and pairs {counts[1]} (host {m}). The kernels or the routing are broken; fix that before timing them."));
        }

        var offsets = new int[experts];
        for (int e = 1; e < experts; e++)
        {
            offsets[e] = offsets[e - 1] + counts[2 + e - 1];
        }

        kernels.PackRows(A(Tokens), A(Idx), A(Weights), tokens, local, A(Positions), A(SendOffsets), A(RecvRows), A(RecvIdx), A(RecvWeights));
        kernels.RankInExpert(A(RecvIdx), n, local, A(RankInExpert), A(RankTileCounts));
        StagedMemory.Upload<int>(offsets, A(ExpertOffsets), stream);
        StagedMemory.Upload<int>(summary.ExpertCounts, A(ExpertCounts), stream);
        // Expert-major's finish (rowSource/rowSlot given) also writes m(n, j), so one call serves the Flat and the expert-major kernels.
        StagedMemory.Fill(A(RowSource), 0xFFFFFFFFu, m, stream);
        kernels.FinishRows(A(RecvIdx), A(RankInExpert), A(ExpertOffsets), n, k, A(PermutedRow), A(RowSource), A(RowSlot));
        kernels.ScanPairs(A(RecvIdx), n, A(PairStart));
        stream.Synchronize();
    }

    /// <summary>The routing's counts (checked against the device's).</summary>
    public KernelCounts Counts { get; }

    /// <summary>[T, H] tokens.</summary>
    public DeviceTensor<BFloat16> Tokens { get; }

    /// <summary>[T, K] expert ids.</summary>
    public DeviceTensor<long> Idx { get; }

    /// <summary>[T, K] routing weights.</summary>
    public DeviceTensor<float> Weights { get; }

    /// <summary>[N, H] gradient rows (dz of UnpermuteBackward).</summary>
    public DeviceTensor<BFloat16> GradRows { get; }

    /// <summary>[R·T] row positions per destination.</summary>
    public DeviceTensor<int> Positions { get; }

    /// <summary>[R·T] first-pair positions per destination.</summary>
    public DeviceTensor<int> PairPositions { get; }

    /// <summary>[2R]: rows and pairs per destination, as the timed destination scan writes them.</summary>
    public DeviceTensor<int> RoutingCounts { get; }

    /// <summary>The two routing records <c>ep_route_record</c> writes in turn (<see cref="StagedRouteRecord"/>).</summary>
    public StagedRouteRecordTurns RouteRecords { get; }

    /// <summary>[2R] send offsets (zero at one rank).</summary>
    public DeviceTensor<int> SendOffsets { get; }

    /// <summary>[N, H] received rows (the pack's output).</summary>
    public DeviceTensor<BFloat16> RecvRows { get; }

    /// <summary>[N, K] received local ids.</summary>
    public DeviceTensor<long> RecvIdx { get; }

    /// <summary>[N, K] received weights.</summary>
    public DeviceTensor<float> RecvWeights { get; }

    /// <summary>[N·K] rank within the expert.</summary>
    public DeviceTensor<int> RankInExpert { get; }

    public DeviceTensor<int> RankTileCounts { get; }

    /// <summary>[L] group offsets.</summary>
    public DeviceTensor<int> ExpertOffsets { get; }

    /// <summary>[L] group counts, from the routing record (kept apart: timing the record kernel rewrites its records).</summary>
    public DeviceTensor<int> ExpertCounts { get; }

    /// <summary>[N·K] m(n, j).</summary>
    public DeviceTensor<int> PermutedRow { get; }

    /// <summary>[M] received row behind each expert-major row.</summary>
    public DeviceTensor<int> RowSource { get; }

    /// <summary>[M] its slot.</summary>
    public DeviceTensor<int> RowSlot { get; }

    /// <summary>[M, H] expert outputs.</summary>
    public DeviceTensor<BFloat16> ExpertOutput { get; }

    /// <summary>[M, H] ep_permute_rows' output.</summary>
    public DeviceTensor<BFloat16> Permuted { get; }

    /// <summary>[N, H] ep_gather_sum_rows' output (Combine's input).</summary>
    public DeviceTensor<BFloat16> Unpermuted { get; }

    /// <summary>[M, H] ep_expand_rows' output.</summary>
    public DeviceTensor<BFloat16> Expanded { get; }

    /// <summary>[M] ep_expand_rows' weights.</summary>
    public DeviceTensor<float> ExpandedWeights { get; }

    /// <summary>[M, H] ep_scale_rows' output.</summary>
    public DeviceTensor<BFloat16> Scaled { get; }

    /// <summary>[T, H] ep_combine_tokens' output.</summary>
    public DeviceTensor<BFloat16> Output { get; }

    /// <summary>[N·K] ep_weight_grads_flat's output.</summary>
    public DeviceTensor<float> GradWeights { get; }

    /// <summary>[N] first (row, expert) pair of each received row (ep_scan_pairs).</summary>
    public DeviceTensor<int> PairStart { get; }

    /// <summary>[T, K] ep_sanitize_routing's ids.</summary>
    public DeviceTensor<long> SanitizedIdx { get; }

    /// <summary>[T, K] ep_sanitize_routing's weights.</summary>
    public DeviceTensor<float> SanitizedWeights { get; }

    /// <summary>ep_sanitize_routing's four-word error records, one per block.</summary>
    public DeviceTensor<long> StepError { get; }

    /// <summary>The handle's state words a captured HighThroughput step's sanitize reads (rows held, rebuilds).</summary>
    public DeviceTensor<long> HandleState { get; }

    /// <summary>[M, H] ep_rows_to_pairs' output.</summary>
    public DeviceTensor<BFloat16> Pairs { get; }

    /// <summary>The device address of <paramref name="tensor"/>.</summary>
    public static ulong A<T>(DeviceTensor<T> tensor)
        where T : unmanaged => StagedMemory.Address(tensor);

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (IDisposable buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
    }
}
