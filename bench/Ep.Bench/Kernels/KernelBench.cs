using System;
using System.Collections.Generic;
using System.Globalization;
using Ep.Bench.Baselines;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Bench.Routing;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Kernels;

namespace Ep.Bench.Kernels;

/// <summary>
/// <c>--kernels</c>: times each generated kernel alone on a stream of its own (events around one launch, waited on
/// after each, so no other work overlaps it), on one rank's ep_bench routing laid out by <see cref="KernelWorkspace"/>,
/// and compares its effective bandwidth with device copies measured in the same run: the copy of T × H bf16
/// (4096 × 7168 at ep_bench's sizes), and a copy of the kernel's own bytes ((read + written) ÷ 2 copied), its
/// physical limit, since a copy's bandwidth depends on its size (a 58.7 MB copy reaches about 87 % of a 470 MB one's
/// on an H100: launch and tail are a larger share).
/// </summary>
internal static class KernelBench
{
    /// <summary>Runs every kernel; failures become the report's <see cref="KernelReport.Problem"/>, never an exception.</summary>
    public static KernelReport Run(BenchOptions options, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        string started = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        KernelReport Failed(string? device, int sms, KernelCounts? counts, CopyBaseline? copy, string problem, IReadOnlyList<KernelResult> done) =>
            new("Ep.Bench --kernels", started, device, options.Layer.Name, sms, counts, copy, options.Warmup, options.Iterations, problem, done);

        if (EpDevice.GpuCount == 0)
        {
            return Failed(null, 0, null, null, "no CUDA device (or no CUDA driver) on this machine: --kernels times GPU kernels and needs one", []);
        }

        CudaDevice device = CudaDevice.Current(0);
        string name = $"{device.Name} ({device.Architecture}, {device.MultiprocessorCount} SMs)";
        var results = new List<KernelResult>();
        KernelCounts? counts = null;
        CopyBaseline? copy = null;
        try
        {
            EpLayerSpec spec = options.Layer.Spec;
            log(string.Create(CultureInfo.InvariantCulture, $"kernels: ep_bench routing, 1 rank × {options.Tokens} tokens"));
            RankInputs inputs = BenchProblem.Create(spec, 1, options.Tokens).Ranks[0];
            counts = KernelCounts.OneRank(inputs.TopkIdx, spec.TopK, spec.HiddenSize);
            long copyBytes = 2L * spec.HiddenSize * options.Tokens;
            log(string.Create(CultureInfo.InvariantCulture, $"kernels: copy baseline, {copyBytes / 1e6:F1} MB (T × H bf16)"));
            copy = CopyBandwidth.Measure(0, copyBytes, options.Warmup, options.Iterations);
            var sameBytesCopies = new Dictionary<long, CopyBaseline>();

            log("kernels: loading the layer's module (NVRTC or the disk cache)");
            KernelModule module = StagedKernels.Load(options.Layer.KernelSource, options.Layer.Name, device);
            device.MakeCurrent();
            using var stream = CudaStreamHandle.Create();
            var kernels = new StagedKernels(module, stream);
            log("kernels: laying out the routing (validate, scan, count, pack, rank, finish — Dispatch's call order)");
            using var w = new KernelWorkspace(spec, inputs, options.Tokens, kernels, stream);
            foreach (Case c in Cases(spec, w, kernels, options.Tokens))
            {
                log("kernels: timing " + (c.Label ?? c.Kernel));
                CopyBaseline? sameBytes = null;
                if (c.BandwidthBound)
                {
                    // The copy a kernel is held to moves what it moves: half its read + written bytes each way.
                    long copied = (c.Bytes.TotalBytes + 1) / 2;
                    if (!sameBytesCopies.TryGetValue(copied, out sameBytes))
                    {
                        sameBytes = CopyBandwidth.Measure(0, copied, options.Warmup, options.Iterations);
                        sameBytesCopies.Add(copied, sameBytes);
                    }
                }

                results.Add(Time(c, module, device, stream, copy, sameBytes, options.Warmup, options.Iterations));
            }
        }
#pragma warning disable CA1031 // The report says what failed and keeps what was measured; the exit code says it failed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Failed(name, device.MultiprocessorCount, counts, copy, e.GetType().Name + ": " + e.Message, results);
        }

        return new KernelReport("Ep.Bench --kernels", started, name, options.Layer.Name, device.MultiprocessorCount, counts, copy,
            options.Warmup, options.Iterations, null, results);
    }

    private static KernelResult Time(Case c, KernelModule module, CudaDevice device, CudaStreamHandle stream, CopyBaseline copy, CopyBaseline? sameBytes,
        int warmup, int iterations)
    {
        using var start = CudaEventHandle.Create(timing: true);
        using var end = CudaEventHandle.Create(timing: true);
        var samples = new List<double>(iterations);
        for (int i = 0; i < warmup + iterations; i++)
        {
            start.Record(stream);
            c.Launch();
            end.Record(stream);
            end.Synchronize();
            if (i >= warmup)
            {
                samples.Add(end.ElapsedSince(start) * 1000.0);
            }
        }

        SampleSummary time = SampleSummary.Of(samples);
        double gbps = ByteFormulas.GigabytesPerSecond(c.Bytes.TotalBytes, time.Median) ?? 0;
        // The routing kernels read a few hundred KB: latency, not bandwidth, sets their time, so no copy ratio or target.
        double? ratio = sameBytes is { GigabytesPerSecond: > 0 } same ? gbps / (2 * same.GigabytesPerSecond) : null;
        double? ratioToTokensCopy = c.BandwidthBound && copy.GigabytesPerSecond > 0 ? gbps / (2 * copy.GigabytesPerSecond) : null;
        KernelResources? resources = null;
        try
        {
            resources = KernelResources.Read(module.Function(c.Kernel), device);
        }
        catch (CudaException)
        {
            // An older driver without an attribute: the timing still stands; the report shows '-' for the resources.
        }

        return new KernelResult(c.Label ?? c.Kernel, c.Operation, c.Blocks, c.Bytes, time, gbps, sameBytes, ratio, ratioToTokensCopy, resources,
            KernelLimit.Explain(ratio, resources, c.Blocks, device.MultiprocessorCount));
    }

    private static IEnumerable<Case> Cases(EpLayerSpec spec, KernelWorkspace w, StagedKernels kernels, int tokens)
    {
        KernelCounts c = w.Counts;
        int n = c.ReceivedRows, m = c.Pairs, k = spec.TopK, local = spec.Experts;
        bool weighted = spec.ApplyWeightsInCombine; // as the Staged engine passes it (Unpermute and Combine)
        ulong weights = weighted ? KernelWorkspace.A(w.RecvWeights) : 0;
        long pairBlocks = ((long)n * k + KernelResources.ThreadsPerBlock - 1) / KernelResources.ThreadsPerBlock;
        static ulong A<T>(DeviceTensor<T> t)
            where T : unmanaged => KernelWorkspace.A(t);

        yield return new("ep_scan_destinations", "Dispatch, Staged (send positions)", 1, KernelTraffic.Routing(c, 2L * tokens * sizeof(int)),
            () => kernels.ScanDestinations(A(w.Idx), tokens, 1, local, A(w.Positions), A(w.PairPositions), A(w.RoutingCounts)), BandwidthBound: false);
        // As NcclEp runs it: a HighThroughput layer compares the ids with the ones its handle holds (held = the ids
        // themselves, as when the routing repeats); LowLatency holds none. Both engines copy the ids and weights.
        bool holdsIds = spec.Algorithm == EpAlgorithm.HighThroughput;
        var copies = new StagedKernels.RoutingCopies(A(w.SanitizedIdx), A(w.Weights), A(w.SanitizedWeights));
        yield return new("ep_route_record", "Dispatch, NcclEp (routing record: validation, counts, held-ids check, copies)",
            StagedKernels.RouteRecordBlocks(tokens, k, 1, scansPositions: false),
            KernelTraffic.RouteRecord(c, RecordBytes(spec), comparesHeld: holdsIds, copiesWeights: true, copiesIds: true),
            () => kernels.RouteRecord(A(w.Idx), tokens, k, 1, local, position: 0, pairPosition: 0, w.RouteRecords, heldIdx: holdsIds ? A(w.Idx) : 0, copies),
            BandwidthBound: false);
        yield return new("ep_route_record", "Dispatch, Staged (the record, the send positions and the copies in one launch)",
            StagedKernels.RouteRecordBlocks(tokens, k, 1, scansPositions: true),
            KernelTraffic.RouteRecord(c, RecordBytes(spec) + 2L * tokens * sizeof(int), comparesHeld: false, copiesWeights: true, copiesIds: true),
            () => kernels.RouteRecord(A(w.Idx), tokens, k, 1, local, A(w.Positions), A(w.PairPositions), w.RouteRecords, heldIdx: 0, copies),
            BandwidthBound: false, Label: "ep_route_record + positions");
        yield return new("ep_sanitize_routing", "CaptureStep (routing check on the device, compared with the handle's ids)", StagedKernels.EntryBlocks(tokens, spec.TopK),
            KernelTraffic.Sanitize(c),
            () => kernels.SanitizeRouting(A(w.Idx), A(w.Weights), tokens, tokens, spec.TopK, A(w.SanitizedIdx), A(w.SanitizedWeights), A(w.StepError), A(w.HandleState)),
            BandwidthBound: false);
        yield return new("ep_pack_rows", "Dispatch (pack with ids)", tokens, KernelTraffic.Pack(c),
            () => kernels.PackRows(A(w.Tokens), A(w.Idx), A(w.Weights), tokens, local, A(w.Positions), A(w.SendOffsets), A(w.RecvRows), A(w.RecvIdx), A(w.RecvWeights)));
        // Two launches of RankTiles(N) blocks each (ep_count_expert_tiles, then ep_rank_in_expert), timed together.
        yield return new("ep_rank_in_expert", "Permute (Flat: m(n, j), part 1, with ep_count_expert_tiles)", StagedKernels.RankTiles(n), KernelTraffic.RankInExpert(c),
            () => kernels.RankInExpert(A(w.RecvIdx), n, local, A(w.RankInExpert), A(w.RankTileCounts)), BandwidthBound: false);
        yield return new("ep_finish_rows", "Permute (Flat: m(n, j), part 2)", pairBlocks, KernelTraffic.FinishRows(c, local),
            () => kernels.FinishRows(A(w.RecvIdx), A(w.RankInExpert), A(w.ExpertOffsets), n, k, A(w.PermutedRow), 0, 0), BandwidthBound: false);
        yield return new("ep_permute_rows", "Permute (Flat)", n, KernelTraffic.Permute(c, weighted: false),
            () => kernels.PermuteRows(A(w.RecvRows), A(w.PermutedRow), 0, n, A(w.Permuted)));
        yield return new("ep_gather_sum_rows", "Unpermute (Flat)", n, KernelTraffic.GatherSum(c, weighted),
            () => kernels.GatherSumRows(A(w.ExpertOutput), A(w.PermutedRow), weights, n, A(w.Unpermuted)));
        yield return new("ep_expand_rows", "Dispatch (expert-major layout)", m, KernelTraffic.Expand(c),
            () => kernels.ExpandRows(A(w.RecvRows), A(w.RecvWeights), A(w.RowSource), A(w.RowSlot), m, A(w.Expanded), A(w.ExpandedWeights)));
        yield return new("ep_scale_rows", "Unpermute (expert-major)", m, KernelTraffic.Scale(c, weighted: false),
            () => kernels.ScaleRows(A(w.ExpertOutput), A(w.RowSource), 0, m, A(w.Scaled)));
        // At one rank the groups are the compact expert-major ones (offset[e] = Σ counts before e): every row is real.
        yield return new("ep_copy_group_rows", "Unpermute (LowLatency: each group's real rows)", spec.Experts * LowLatencyGroupPadding.MaxBlocksPerGroup,
            KernelTraffic.GroupCopy(c),
            () => kernels.CopyGroupRows(A(w.ExpertOutput), A(w.ExpertOffsets), A(w.ExpertCounts), spec.Experts,
                LowLatencyGroupPadding.MaxBlocksPerGroup, A(w.Scaled)));
        yield return new("ep_rows_to_pairs", "Combine (expert-major, Staged: rows into pair order)", m, KernelTraffic.RowsToPairs(c, weighted: false),
            () => kernels.RowsToPairs(A(w.ExpertOutput), 0, A(w.RowSource), A(w.RowSlot), A(w.PairStart), m, A(w.Pairs), 0));
        int perBlock = StagedKernels.CombineTokensPerBlock(tokens);
        yield return new("ep_combine_tokens", "Combine (reduction)", (tokens + perBlock - 1) / perBlock, KernelTraffic.Combine(c),
            () => kernels.CombineTokens(A(w.Idx), A(w.Weights), tokens, local, A(w.Positions), A(w.PairPositions), A(w.SendOffsets),
                perPair: false, weighted, A(w.Unpermuted), 0, A(w.Output), 0));

        // The engine's choice above against every other tokens-per-block setting: the data for the policy.
        for (int each = 1; each <= StagedKernels.MaxTokensPerCombineBlock; each *= 2)
        {
            int tokensPerBlock = each;
            yield return new("ep_combine_tokens", "Combine (reduction)", (tokens + each - 1) / each, KernelTraffic.Combine(c),
                () => kernels.CombineTokens(A(w.Idx), A(w.Weights), tokens, local, A(w.Positions), A(w.PairPositions), A(w.SendOffsets),
                    perPair: false, weighted, A(w.Unpermuted), 0, A(w.Output), 0, tokensPerBlock),
                Label: string.Create(CultureInfo.InvariantCulture, $"ep_combine_tokens/{each}"));
        }
        yield return new("ep_weight_grads_flat", "UnpermuteBackward (Flat)", StagedKernels.WeightGradBlocks((long)n * k), KernelTraffic.WeightGradsFlat(c),
            () => kernels.WeightGradsFlat(A(w.GradRows), A(w.ExpertOutput), A(w.PermutedRow), n, k, A(w.GradWeights)));
    }

    /// <summary>Bytes of one rank's routing record (the error key, the counts, the held-ids word).</summary>
    private static long RecordBytes(EpLayerSpec spec) => StagedRouteRecord.Words(1, spec.Experts) * (long)sizeof(long);

    /// <summary>One timed launch. Label: the report's name for a variant of Kernel (its launch settings); null: Kernel.</summary>
    private sealed record Case(string Kernel, string Operation, long Blocks, KernelBytes Bytes, Action Launch, bool BandwidthBound = true,
        string? Label = null);
}
