using System.Collections.Generic;
using System.Globalization;

namespace Ep.Bench.Kernels;

/// <summary>
/// A first reading of what holds a kernel below the bandwidth target, from numbers the run already has (the resource
/// report, the grid, the ratio). It names the evidence; the proof is an ncu profile of the same launch.
/// </summary>
internal static class KernelLimit
{
    /// <summary>The target: effective bandwidth at least this fraction of the same-run copy bandwidth (the 80 %).</summary>
    public const double Target = 0.8;

    /// <summary>Null when <paramref name="ratio"/> meets the target (or is unknown); otherwise the likely limits, most specific first.</summary>
    public static string? Explain(double? ratio, KernelResources? resources, long blocks, int multiprocessors)
    {
        if (ratio is not { } r || r >= Target)
        {
            return null;
        }

        var reasons = new List<string>();
        if (resources is { } res)
        {
            if (res.LocalBytes > 0)
            {
                reasons.Add(Invariant($"{res.LocalBytes} B local memory per thread (register spills or a stack array)"));
            }

            if (res.Occupancy < 0.5)
            {
                reasons.Add(Invariant($"occupancy {res.Occupancy:P0} ({res.BlocksPerMultiprocessor} blocks/SM at {res.Registers} registers, {res.StaticSharedBytes} B shared): too few warps to hide memory latency"));
            }

            long wave = (long)res.BlocksPerMultiprocessor * multiprocessors;
            if (wave > 0 && blocks < wave)
            {
                reasons.Add(Invariant($"{blocks} blocks fill {(double)blocks / wave:P0} of one wave ({wave} resident blocks): the grid leaves SMs idle"));
            }
        }

        if (reasons.Count == 0)
        {
            reasons.Add("resources and grid allow full occupancy: the access pattern (uncoalesced or serial per-thread loads) or the launch overhead of a short kernel; profile with ncu");
        }

        return Invariant($"{r:P0} of copy: ") + string.Join("; ", reasons);
    }

    private static string Invariant(System.FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
