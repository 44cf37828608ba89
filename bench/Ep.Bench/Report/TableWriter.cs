using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Ep.Bench.Metrics;
using static System.FormattableString;

namespace Ep.Bench.Report;

/// <summary>
/// The human-readable report: a header with the configuration and the baselines, one aligned table per engine, and the
/// meaning of each column. Plain text (no colour, no box drawing), so it reads the same in a terminal, a CI log and a file.
/// </summary>
internal static class TableWriter
{
    private static readonly string[] Headers =
        ["operation", "device us (p50)", "p10..p90", "host us (p50)", "p10..p90", "MB/rank", "GB/s", "all ranks GB/s", "ep_bench GB/s", "ours/ep_bench", "alloc B"];

    // Process runs: each rank's GB/s (min..max over ranks) and ours ÷ the plain NCCL all-to-all, after the GB/s column.
    private static readonly string[] ProcessHeaders = ["rank GB/s min..max", "ours/a2a"];

    /// <summary>The whole report as text.</summary>
    public static string Write(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        LayerConfiguration c = report.Configuration;
        text.AppendLine(Invariant($"Ep.Bench — {c.Name}: {c.Mode}, {c.TokensPerRank} tokens/rank, hidden {c.HiddenSize}, top-{c.TopK}, {c.Experts} experts; {c.Warmup} warm-up + {c.Iterations} timed steps; {(c.NewRoutingEachStep ? "new routing every step (--new-routing)" : "one routing for every step, as ep_bench")}{(c.PreparedRouting ? "; each Dispatch after a finished, untimed PrepareDispatch (--prepared)" : string.Empty)}"));
        text.AppendLine("GPU: " + (report.Device ?? "none"));
        if (report.CopyBaseline is { } copy)
        {
            text.AppendLine(Invariant($"Copy baseline (same process): cuMemcpyDtoDAsync of {copy.Bytes / 1e6:F2} MB in {copy.Microseconds.Median:F1} us (p10 {copy.Microseconds.P10:F1}, p90 {copy.Microseconds.P90:F1}) = {copy.GigabytesPerSecond:F1} GB/s copied ({2 * copy.GigabytesPerSecond:F1} GB/s of memory traffic): the ceiling for rows moved on one GPU"));
        }
        else if (report.CopyBaselineProblem is { } problem)
        {
            text.AppendLine("Copy baseline: " + problem);
        }

        if (report.HostRoundTripMicroseconds is { } trip)
        {
            text.AppendLine(Invariant($"Host round trip (same process): a 4-byte memset, an 8-byte read-back into page-locked memory and a stream wait take {trip.Median:F1} us on the host (p10 {trip.P10:F1}, p90 {trip.P90:F1}): the least a call can add whose result the host reads, as an eager Dispatch's counts and routing check"));
        }

        if (report.Processes is { } run)
        {
            text.AppendLine(Invariant($"Processes: {run.Ranks} rank(s), one GPU each; {run.Join}"));
            if (run.AllToAll is { } a)
            {
                text.AppendLine(Invariant($"All-to-all baseline (plain NCCL: grouped ncclSend/ncclRecv of each token once per destination rank): {a.BytesPerRank.Average() / 1e6:F2} MB/rank received in {a.RankMicroseconds.Median:F1} us (ranks {a.RankMicroseconds.Min:F1}..{a.RankMicroseconds.Max:F1}) = {a.RankGigabytesPerSecond.Median:F1} GB/s per rank (ranks {a.RankGigabytesPerSecond.Min:F1}..{a.RankGigabytesPerSecond.Max:F1})"));
            }
            else if (run.AllToAllProblem is { } problem)
            {
                text.AppendLine("All-to-all baseline: " + problem);
            }
        }

        if (report.EpBench is { } ep)
        {
            if (ep.Figures is { } f)
            {
                text.AppendLine(Invariant($"ep_bench (same run, {(ep.Ranks == 1 ? "1 rank" : ep.Ranks + " ranks")}): dispatch {f.Dispatch.Microseconds:F1} us = {Number(f.Dispatch.GigabytesPerSecond)} GB/s, combine {f.Combine.Microseconds:F1} us = {Number(f.Combine.GigabytesPerSecond)} GB/s"));
                text.AppendLine("  ran: " + ep.CommandLine);
            }
            else
            {
                text.AppendLine("ep_bench: " + ep.Problem + (ep.CommandLine is null ? string.Empty : " (ran: " + ep.CommandLine + ")"));
            }
        }

        foreach (EngineResult engine in report.Engines)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"[{engine.Engine}, {engine.Ranks} rank(s)] {engine.Status}: {engine.Detail}"));
            if (engine.CudaGraph is { } graph)
            {
                text.AppendLine("  CUDA graph: " + (graph.Capturable ? "capturable: " : "not capturable: ") + graph.Reason);
                if (graph.Replay is { } r)
                {
                    text.AppendLine(Invariant($"  CUDA graph replay ({r.Work}): device p50 {r.Device.Median:F1} us (p10 {r.Device.P10:F1}, p90 {r.Device.P90:F1}) vs {r.EagerWork} {Number(r.EagerDevice)} us = {Number(r.DeviceSpeedup)} ×; host per Replay() p50 {r.Host.Median:F1} us vs eager {Number(r.EagerHost)} us = {Number(r.HostSpeedup)} ×; allocated per Replay() {r.Allocated.Median:F0} B"));
                    if (r.EpBenchDevice is { } theirs)
                    {
                        text.AppendLine(Invariant($"    beside ep_bench's dispatch + combine {theirs:F1} us (same run): ep_bench ÷ replay = {Number(r.EpBenchRatio, "F2")} (above 1: the whole captured step, checks included, is faster than ep_bench's two calls)"));
                    }

                    if (r.Parts is { } p)
                    {
                        // LowLatency's layout upkeep is Dispatch's work; HighThroughput's fourth part is Permute's.
                        string layout = r.LowLatency ? Invariant($", layout {p.Layout:F1} us") : string.Empty;
                        string permute = r.LowLatency ? string.Empty : Invariant($"; Permute {p.Layout:F1} us");
                        string combinePart = r.LowLatency ? "Combine part" : "Unpermute + Combine part";
                        text.AppendLine(Invariant($"    replay split (p50, a graph with an event between every two parts): routing check {p.RoutingCheck:F1} us, ncclEpUpdateHandle {p.UpdateHandle:F1} us{Rebuilds(p)}, ncclEpDispatch {p.NativeDispatch:F1} us{layout} = {p.SplitDispatchPart:F1} us{permute}"));
                        text.AppendLine(Invariant($"    replay parts (p50, a graph with events only at their ends): Dispatch part {p.DispatchPart:F1} us (ep_bench's dispatch ÷ it: {Number(p.DispatchRatio, "F2")}); {combinePart} {p.CombinePart:F1} us (ep_bench's combine ÷ it: {Number(p.CombineRatio, "F2")})"));
                    }
                }

                if (graph.TrainingReplay is { } tr)
                {
                    text.AppendLine(Invariant($"  CUDA graph replay, training step ({tr.Work}): device p50 {tr.Device.Median:F1} us (p10 {tr.Device.P10:F1}, p90 {tr.Device.P90:F1}) vs {tr.EagerWork} {Number(tr.EagerDevice)} us = {Number(tr.DeviceSpeedup)} ×; host per Replay() p50 {tr.Host.Median:F1} us vs eager {Number(tr.EagerHost)} us = {Number(tr.HostSpeedup)} ×; allocated per Replay() {tr.Allocated.Median:F0} B"));
                }
            }

            if (engine.Operations.Count > 0)
            {
                AppendTable(text, engine.Operations);
            }

            if (engine.Memory is { } m)
            {
                string verdict = m.WithinTenPercent ? "within 10 %" : "NOT within 10 %";
                text.AppendLine(Invariant($"  memory per rank: engine {m.MeasuredBytesPerRank / 1e6:F1} MB (cuMemGetInfo around layer creation) = {m.MeasuredToPlanMemory:F3} × the layer's PlanMemory {m.PlanMemoryBytesPerRank / 1e6:F1} MB ({verdict}; of which Dispatch's receive buffers {m.ReceiveBytesPerRank / 1e6:F1} MB)"));
            }

            if (engine.DispatchSplit is { } d)
            {
                double? native = report.EpBench?.Figures?.Dispatch.Microseconds;
                string beside = native is { } us ? Invariant($" (ep_bench's ncclEpDispatch {us:F1} us: ours {d.NativeDispatch / us:F2} × its time)") : "";
                string readBack = d.RoutingReadBack is { } wait ? Invariant($" (its read-back and wait {wait:F1} us)") : "";
                text.AppendLine(Invariant($"  dispatch host split (p50): routing agreement {d.Routing:F1} us{readBack}, ncclEpUpdateHandle {d.UpdateHandle:F1} us, ncclEpDispatch {d.NativeDispatch:F1} us{beside}, layout {d.Layout:F1} us"));
            }

            if (engine.DeviceDispatchSplit is { } dd)
            {
                double? native = report.EpBench?.Figures?.Dispatch.Microseconds;
                string beside = native is { } us ? Invariant($" (ep_bench's dispatch {us:F1} us: ours {dd.NativeDispatch / us:F2} × its time)") : "";
                text.AppendLine(Invariant($"  dispatch device split (p50, a pass of its own: the stream between events Dispatch records): routing agreement {dd.Routing:F1} us, ncclEpUpdateHandle {dd.UpdateHandle:F1} us, ncclEpDispatch {dd.NativeDispatch:F1} us{beside}, layout {dd.Layout:F1} us"));
            }

            if (engine.OwnHostTime is { } own)
            {
                string readBack = own.DispatchRoutingReadBack is { } wait ? Invariant($", {wait:F1} us of it the record's read-back and wait") : "";
                text.AppendLine(Invariant($"  Ep's own host time (the call minus NCCL EP's calls, p50; target <= 2 us): dispatch {own.Dispatch:F1} us (of which the routing agreement {own.DispatchRoutingAgreement:F1} us{readBack}: Ep's checking kernels and the one wait before NCCL EP may see the ids), combine {own.Combine:F1} us"));
                if (own.ManagedDispatch is { } managedDispatch && own.ManagedCombine is { } managedCombine)
                {
                    string reads = own.ClockCostPerRead is { } readCost ? Invariant($" and {readCost * 1000:F0} ns per clock read of the split") : "";
                    string clock = own.ClockCostPerCall is { } cost ? Invariant($", and the timing's own {cost * 1000:F0} ns per native call{reads}") : "";
                    text.AppendLine(Invariant($"  Ep's managed code alone (the call minus every native call, CUDA's too{clock}, p50): dispatch {managedDispatch:F1} us, combine {managedCombine:F1} us"));
                    if (own.ManagedDispatchByPart is { } p)
                    {
                        text.AppendLine(Invariant($"  dispatch's managed code by part (p50 each): tensor checks {p.Checks:F2} us, routing agreement {p.Agreement:F2} us, up to and including ncclEpDispatch {p.ToNcclEpDispatch:F2} us, layout {p.Layout:F2} us, outside the engine's Dispatch {p.OutsideEngine:F2} us"));
                    }
                }
            }

            if (engine.PrepareDispatch is { } prepare)
            {
                text.AppendLine(Invariant($"  PrepareDispatch (before each step, outside its spans): host p50 {prepare.Host.Median:F1} us (p10 {prepare.Host.P10:F1}, p90 {prepare.Host.P90:F1}), allocated per call p50 {prepare.Allocated.Median:F0} B (max {prepare.Allocated.Max:F0})"));
            }

            if (engine.Floor is { } f)
            {
                text.AppendLine(Invariant($"  step floor: {f.Bytes / 1e6:F1} MB read + written ÷ copy bandwidth = {f.FloorMicroseconds:F1} us; measured step {f.StepMicroseconds:F1} us = {f.Ratio:F2} × floor"));
            }
        }

        if (report.Processes is not null)
        {
            IReadOnlyList<string> ratios = Processes.ProcessAggregation.RatioLines(report.Engines);
            if (ratios.Count > 0)
            {
                text.AppendLine();
                foreach (string line in ratios)
                {
                    text.AppendLine(line);
                }
            }
        }

        text.AppendLine();
        text.AppendLine("device us: time between CUDA events recorded on the layer's stream before and after the call (all ranks' samples pooled; includes the GPU waiting on the host inside a call, as ep_bench's does).");
        text.AppendLine("host us: wall time of the call alone on the host (stream drained before it; checks + launches + native calls + waits inside the call).");
        text.AppendLine("MB/rank: ep_bench's bytes for one rank — HT: unique (source rank, token) pairs received × hidden × 2; LL: valid (token, k) selections × hidden × 2.");
        text.AppendLine("GB/s = MB/rank / median device time (10^9 B/s). all ranks GB/s: every simulated rank's bytes over the same time (what the one GPU moved).");
        if (report.Processes is not null)
        {
            text.AppendLine("process run: device us pools every rank's samples; GB/s is the median over ranks of each rank's bytes / its own median device time; rank GB/s min..max: the slowest and fastest rank.");
            text.AppendLine("ours/a2a: the plain NCCL all-to-all's median time / this operation's, on the same rank, median over ranks (HT: the ratio of GB/s, same bytes); ours/ep_bench: our GB/s / ep_bench's on as many ranks.");
        }

        text.AppendLine("alloc B: managed bytes the calling thread allocated per call in the host pass (median, after warm-up); 0 = no allocation in steady state.");
        text.AppendLine("memory: the layer's PlanMemory(ranks) figure for the engine counts every buffer it allocates for the layer (Ep's receive, permute, backward and staging buffers; for NcclEp also NCCL EP's group and handle memory).");
        text.AppendLine("step floor: every exchanged row read once and written once, per pass (dispatch, combine, and their backward), over the copy's read + write bandwidth.");
        return text.ToString();
    }

    private static void AppendTable(StringBuilder text, IReadOnlyList<OperationResult> rows)
    {
        bool processes = rows.Any(r => r.RankGigabytesPerSecond is not null || r.RatioToAllToAll is not null);
        string[] headers = processes ? [.. Headers[..7], .. ProcessHeaders, .. Headers[7..]] : Headers;
        var cells = new List<string[]> { headers };
        foreach (OperationResult r in rows)
        {
            string[] row =
            [
                r.Operation,
                Number(r.DeviceMicroseconds?.Median, "F1"),
                Spread(r.DeviceMicroseconds),
                Number(r.HostMicroseconds?.Median, "F1"),
                Spread(r.HostMicroseconds),
                Number(r.BytesPerRank / 1e6, "F2"),
                Number(r.GigabytesPerSecond),
                Number(r.AllRanksGigabytesPerSecond),
                Number(r.EpBenchGigabytesPerSecond),
                Number(r.RatioToEpBench, "F2"),
                Number(r.AllocatedBytes?.Median, "F0"),
            ];
            cells.Add(processes
                ? [.. row[..7], r.RankGigabytesPerSecond is { } g ? Invariant($"{g.Min:F1}..{g.Max:F1}") : "-", Number(r.RatioToAllToAll, "F2"), .. row[7..]]
                : row);
        }

        int[] widths = Enumerable.Range(0, headers.Length).Select(col => cells.Max(row => row[col].Length)).ToArray();
        foreach (string[] row in cells)
        {
            text.Append("  ").Append(row[0].PadRight(widths[0]));
            for (int col = 1; col < row.Length; col++)
            {
                text.Append("  ").Append(row[col].PadLeft(widths[col]));
            }

            text.AppendLine();
        }
    }

    private static string Spread(SampleSummary? s) => s is null ? "-" : Invariant($"{s.P10:F1}..{s.P90:F1}");

    private static string Number(double? value, string format = "F1") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>" (rebuilt in r of n replays)" for a HighThroughput graph's handle update; empty when not counted.</summary>
    private static string Rebuilds(Graphs.GraphSplit parts) =>
        parts.HandleRebuilds is { } h ? Invariant($" (the handle rebuilt in {h.Rebuilt} of {h.Replays} replays)") : string.Empty;
}
