using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>Comparisons of recorded steps across engines (docs/semantics.md, "Bit-exactness across engines") and across repeats.</summary>
internal static class StepAssert
{
    // Copies (dispatch, permute, CombineBackward, ExpertMajor PermuteBackward) and integers must be identical; sums may
    // differ by one bf16 ulp (docs/semantics.md). UnpermuteBackward's fp32 weight gradients are dot products in the one
    // order docs/semantics.md fixes: identical too. DispatchBackward's return them through the engine's exchange.
    public static void Matches(StepRecord expected, StepRecord actual, string where)
    {
        Assert.Equal(expected.Rows.Keys.Order(), actual.Rows.Keys.Order());
        foreach ((string name, long[] values) in expected.Integers)
        {
            Assert.True(values.SequenceEqual(actual.Integers[name]), $"{where}: {name} differs.");
        }

        foreach ((string name, ushort[] values) in expected.Rows)
        {
            ushort[] got = actual.Rows[name];
            Assert.True(values.Length == got.Length, $"{where}: {name} has {got.Length} elements, Reference {values.Length}.");
            bool exact = name.StartsWith("dispatch.", StringComparison.Ordinal) || name.StartsWith("permute.", StringComparison.Ordinal)
                || name == "combineBackward";
            int allowed = exact ? 0 : 1;
            for (int i = 0; i < values.Length; i++)
            {
                int distance = StepRecord.UlpDistance(values[i], got[i]);
                Assert.True(distance <= allowed, $"{where}: {name}[{i}] is 0x{got[i]:X4}, Reference 0x{values[i]:X4} ({distance} ulp, {allowed} allowed).");
            }
        }

        foreach ((string name, float[] values) in expected.Floats)
        {
            float[] got = actual.Floats[name];
            Assert.True(values.Length == got.Length, $"{where}: {name} has {got.Length} elements, Reference {values.Length}.");
            for (int i = 0; i < values.Length; i++)
            {
                bool exact = name.StartsWith("dispatch.", StringComparison.Ordinal) || name == "unpermuteBackward.weights";
                float tolerance = exact ? 0f : 1e-5f * Math.Max(1f, Math.Abs(values[i]));
                Assert.True(Math.Abs(values[i] - got[i]) <= tolerance && !float.IsNaN(got[i]), $"{where}: {name}[{i}] is {got[i]}, Reference {values[i]}.");
            }
        }
    }

    /// <summary>Each bf16 of <paramref name="actual"/> within <paramref name="allowedUlps"/> of <paramref name="expected"/>.</summary>
    public static void MatchesWithin(ushort[] expected, ushort[] actual, int allowedUlps, string where)
    {
        Assert.True(expected.Length == actual.Length, $"{where}: {actual.Length} elements, Reference {expected.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            int distance = StepRecord.UlpDistance(expected[i], actual[i]);
            Assert.True(distance <= allowedUlps, $"{where}: [{i}] is 0x{actual[i]:X4}, Reference 0x{expected[i]:X4} ({distance} ulp, {allowedUlps} allowed).");
        }
    }

    /// <summary>
    /// NCCL EP LL places each expert's rows in arrival order (its kernels use atomics) and delivers no per-row weights,
    /// so the dispatch rows are compared as each expert group's multiset and the weights as zeros; counts, offsets,
    /// unused rows (zero) and the weighted Combine (within 1 bf16 ulp) must match exactly (docs/engines.md).
    /// </summary>
    public static void MatchesUpToRowOrderWithinExperts(StepRecord expected, StepRecord actual, int hidden, string where)
    {
        Assert.Equal(expected.Integers["dispatch.counts"], actual.Integers["dispatch.counts"]);
        Assert.Equal(expected.Integers["dispatch.offsets"], actual.Integers["dispatch.offsets"]);
        int[] counts = expected.Integers["dispatch.counts"].Select(c => (int)c).ToArray();
        int[] offsets = expected.Integers["dispatch.offsets"].Select(o => (int)o).ToArray();
        foreach (string name in new[] { "dispatch.tokens", "permute.tokens", "unpermute" })
        {
            SameRowsPerExpert(expected.Rows[name], actual.Rows[name], hidden, offsets, counts, $"{where}: {name}");
        }

        Assert.All(actual.Floats["dispatch.weights"], w => Assert.Equal(0f, w));
        MatchesWithin(expected.Rows["combine"], actual.Rows["combine"], allowedUlps: 1, $"{where}: combine");
    }

    private static void SameRowsPerExpert(ushort[] expected, ushort[] actual, int hidden, int[] offsets, int[] counts, string where)
    {
        Assert.True(expected.Length == actual.Length, $"{where}: {actual.Length} elements, Reference {expected.Length}.");
        for (int e = 0; e < counts.Length; e++)
        {
            List<string> Rows(ushort[] values, int begin, int count) =>
                Enumerable.Range(begin, count).Select(r => string.Join(',', values.Skip(r * hidden).Take(hidden))).Order(StringComparer.Ordinal).ToList();

            Assert.True(Rows(expected, offsets[e], counts[e]).SequenceEqual(Rows(actual, offsets[e], counts[e])),
                $"{where}: the rows of local expert {e} differ from the Reference engine's (as sets).");
            int groupEnd = e + 1 < offsets.Length ? offsets[e + 1] : expected.Length / hidden;
            for (int r = offsets[e] + counts[e]; r < groupEnd; r++)
            {
                Assert.True(actual.Skip(r * hidden).Take(hidden).All(v => v == 0), $"{where}: unused row {r} of expert {e} is not zero.");
            }
        }
    }

    public static void Identical(StepRecord first, StepRecord second, string where)
    {
        foreach ((string name, ushort[] values) in first.Rows)
        {
            Assert.True(values.SequenceEqual(second.Rows[name]), $"{where}: {name} changed between identical steps.");
        }

        foreach ((string name, float[] values) in first.Floats)
        {
            Assert.True(values.Select(BitConverter.SingleToInt32Bits).SequenceEqual(second.Floats[name].Select(BitConverter.SingleToInt32Bits)),
                $"{where}: {name} changed between identical steps.");
        }
    }
}
