using System;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace Ep.Bench.Baselines;

/// <summary>
/// Reads the summary NCCL EP's ep_bench prints on rank 0 (printLowLatencyResults / printHighThroughputResults in
/// contrib/nccl_ep/ep_bench.cu). LL prints, under "Host-observed performance",
/// <c>Dispatch (BF16):  avg=%.2f us, …</c> then <c>throughput: avg=%.2f GB/s, …</c>, and the same for Combine; under
/// "Kernel-only performance" (CUPTI builds) <c>Dispatch:    avg=%.2f us, …</c> and a throughput line. HT prints, under
/// "BW based on total time", <c>Dispatch:    total=%.2f us (…)</c> followed by <c>recv: total_bw=%.2f …</c>, and
/// <c>Combine:     total=%.2f us (…)</c> followed by <c>send: total_bw=%.2f …</c> (both from the received-pairs bytes,
/// our formula); under "BW based on kernel time" <c>Dispatch:    kernel=%.2f us</c> and the same bandwidth lines.
/// The first bandwidth line after an operation's time line is its figure.
/// </summary>
internal static partial class EpBenchOutputParser
{
    /// <summary>Parses ep_bench's standard output.</summary>
    /// <exception cref="FormatException">The dispatch or combine figure is missing (the message quotes the end of the output).</exception>
    public static EpBenchFigures Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var figures = new (double Us, double? GBps)?[2, 2]; // [kernel section?, combine?]
        int? pendingOperation = null;
        bool kernelSection = false, pendingKernel = false;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Contains("Kernel-only performance", StringComparison.Ordinal) || line.Contains("BW based on kernel time", StringComparison.Ordinal))
            {
                kernelSection = true;
                pendingOperation = null;
                continue;
            }

            if (line.Contains("Host-observed performance", StringComparison.Ordinal) || line.Contains("BW based on total time", StringComparison.Ordinal))
            {
                kernelSection = false;
                pendingOperation = null;
                continue;
            }

            Match time = TimeLine().Match(line);
            if (time.Success)
            {
                int operation = time.Groups["op"].Value == "Dispatch" ? 0 : 1;
                bool kernel = kernelSection || time.Groups["key"].Value == "kernel";
                if (Number(time.Groups["us"].Value) is { } us && figures[kernel ? 1 : 0, operation] is null)
                {
                    figures[kernel ? 1 : 0, operation] = (us, null);
                    pendingOperation = operation;
                    pendingKernel = kernel;
                }
                else
                {
                    pendingOperation = null;
                }

                continue;
            }

            Match bandwidth = BandwidthLine().Match(line);
            if (bandwidth.Success && pendingOperation is int pending)
            {
                int section = pendingKernel ? 1 : 0;
                figures[section, pending] = (figures[section, pending]!.Value.Us, Number(bandwidth.Groups["gbps"].Value));
                pendingOperation = null;
            }
        }

        if (figures[0, 0] is null || figures[0, 1] is null)
        {
            string tail = string.Join('\n', output.Split('\n').TakeLast(15));
            throw new FormatException("ep_bench's output has no dispatch/combine summary (it may have failed before printing it). Its last lines:\n" + tail);
        }

        return new EpBenchFigures(Figure(figures[0, 0])!, Figure(figures[0, 1])!, Figure(figures[1, 0]), Figure(figures[1, 1]));
    }

    private static EpBenchFigure? Figure((double Us, double? GBps)? value) =>
        value is { } v ? new EpBenchFigure(v.Us, v.GBps) : null;

    /// <summary>printf's %.2f, or null for its inf / nan spellings.</summary>
    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;

    [GeneratedRegex(@"^(?<op>Dispatch|Combine)(?: \(BF16\))?:\s+(?<key>total|avg|kernel)=(?<us>\S+) us")]
    private static partial Regex TimeLine();

    [GeneratedRegex(@"^\s+(?:(?:recv|send): total_bw=|throughput: avg=)(?<gbps>[^\s,]+)")]
    private static partial Regex BandwidthLine();
}
