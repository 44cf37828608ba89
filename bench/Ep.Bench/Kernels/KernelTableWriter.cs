using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using static System.FormattableString;

namespace Ep.Bench.Kernels;

/// <summary>The <c>--kernels</c> report as plain text: one row per kernel, then the limits of those below the target.</summary>
internal static class KernelTableWriter
{
    private static readonly string[] Headers =
        ["kernel", "serves", "blocks", "MB read", "MB written", "us (p50)", "p10..p90", "GB/s", "copy us", "vs copy", ">= 80%", "vs T×H copy", "regs", "smem B", "local B", "blocks/SM", "occupancy"];

    /// <summary>The whole report as text.</summary>
    public static string Write(KernelReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Ep.Bench --kernels — {report.Layer}, one rank; {report.Warmup} warm-up + {report.Iterations} timed launches per kernel"));
        text.AppendLine("GPU: " + (report.Device ?? "none"));
        if (report.Counts is { } c)
        {
            text.AppendLine(Invariant($"Routing (ep_bench's): T {c.Tokens} tokens, N {c.ReceivedRows} received rows, M {c.Pairs} expert-major rows, K {c.TopK}, H {c.Hidden}"));
        }

        if (report.CopyBaseline is { } copy)
        {
            text.AppendLine(Invariant($"Copy of T × H bf16 (same run): cuMemcpyDtoDAsync of {copy.Bytes / 1e6:F1} MB in {copy.Microseconds.Median:F1} us = {copy.GigabytesPerSecond:F1} GB/s copied, {2 * copy.GigabytesPerSecond:F1} GB/s read + written (the 100 % of 'vs T×H copy')"));
        }

        if (report.Kernels.Count > 0)
        {
            var cells = new List<string[]> { Headers };
            foreach (KernelResult k in report.Kernels)
            {
                KernelResources? r = k.Resources;
                cells.Add(
                [
                    k.Kernel, k.ServesOperation, k.Blocks.ToString(CultureInfo.InvariantCulture),
                    Number(k.Bytes.ReadBytes / 1e6, "F1"), Number(k.Bytes.WriteBytes / 1e6, "F1"),
                    Number(k.Microseconds.Median, "F1"), Invariant($"{k.Microseconds.P10:F1}..{k.Microseconds.P90:F1}"),
                    Number(k.GigabytesPerSecond, "F1"), Number(k.SameBytesCopy?.Microseconds.Median, "F1"), Number(k.RatioToCopy, "P0"),
                    k.RatioToCopy is { } ratio ? (ratio >= KernelLimit.Target ? "yes" : "NO") : "-", Number(k.RatioToTokensCopy, "P0"),
                    Number(r?.Registers, "F0"), Number(r?.StaticSharedBytes, "F0"), Number(r?.LocalBytes, "F0"),
                    Number(r?.BlocksPerMultiprocessor, "F0"), Number(r?.Occupancy, "P0"),
                ]);
            }

            int[] widths = Enumerable.Range(0, Headers.Length).Select(col => cells.Max(row => row[col].Length)).ToArray();
            foreach (string[] row in cells)
            {
                text.Append("  ").Append(row[0].PadRight(widths[0])).Append("  ").Append(row[1].PadRight(widths[1]));
                for (int col = 2; col < row.Length; col++)
                {
                    text.Append("  ").Append(row[col].PadLeft(widths[col]));
                }

                text.AppendLine();
            }

            foreach (KernelResult k in report.Kernels.Where(k => k.Limit is not null))
            {
                text.AppendLine("  below target: " + k.Kernel + " — " + k.Limit);
            }
        }

        if (report.Problem is { } problem)
        {
            text.AppendLine("FAILED: " + problem);
        }

        text.AppendLine();
        text.AppendLine("MB read / written: what the kernel must move (each input row once, plus the index and weight arrays it reads; bench/README.md gives each formula).");
        text.AppendLine("GB/s = (read + written) / median time; copy us: a cuMemcpyDtoDAsync of (read + written) / 2 bytes, same run (the kernel's physical limit); vs copy = GB/s / (2 × that copy's GB/s), its own read + write traffic; target >= 80 %. vs T×H copy: the same against the copy above.");
        text.AppendLine("regs, smem B, local B: cuFuncGetAttribute (registers per thread, static shared memory per block, local memory per thread = spills); blocks/SM and occupancy at 256 threads: cuOccupancyMaxActiveBlocksPerMultiprocessor.");
        return text.ToString();
    }

    private static string Number(double? value, string format) =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
