using System;
using System.Collections.Generic;
using System.Linq;

namespace MoeLayer;

/// <summary>One compared quantity: the largest absolute difference, relative to the largest reference magnitude.</summary>
internal sealed record ComparedQuantity(string Name, double MaxError, double Tolerance)
{
    public bool Passed => MaxError <= Tolerance;
}

/// <summary>Compares the expert-parallel results of every rank with the dense computation.</summary>
internal static class Comparison
{
    /// <summary>
    /// bf16 keeps 8 significant bits (relative step 2⁻⁸ ≈ 0.4 %). The EP path rounds to bf16 at most three times
    /// on the way (expert output, weighted sum, combined sum), so a few tenths of a percent is expected and
    /// 2 % of the largest magnitude leaves room without hiding a routing or ordering bug, which shows up as O(1).
    /// </summary>
    public const double Tolerance = 2e-2;

    public static IReadOnlyList<ComparedQuantity> Compare(RankResult[] ep, DenseMoe dense, int experts)
    {
        return new[]
        {
            Quantity("forward output", ep.Select(r => r.Output.Select(v => (double)(float)v)), dense.Output),
            Quantity("token gradient", ep.Select(r => r.GradTokens.Select(v => (double)(float)v)), dense.GradTokens),
            Quantity("routing-weight gradient", ep.Select(r => r.GradTopkWeights.Select(v => (double)v)), dense.GradTopkWeights),
            Quantity("expert-weight gradient",
                Enumerable.Range(0, experts).Select(e => SumOverRanks(ep, e)), dense.GradExpertWeights),
        };
    }

    /// <summary>
    /// One process of a multi-process run holds only its rank's results: its tokens' output and gradients, and the
    /// gradients of the experts it owns, each compared with the same part of the dense computation.
    /// </summary>
    public static IReadOnlyList<ComparedQuantity> CompareRank(RankResult mine, int rank, DenseMoe dense, int localExperts)
    {
        int[] owned = Enumerable.Range(rank * localExperts, localExperts).ToArray();
        return new[]
        {
            Quantity("forward output", [mine.Output.Select(v => (double)(float)v)], [dense.Output[rank]]),
            Quantity("token gradient", [mine.GradTokens.Select(v => (double)(float)v)], [dense.GradTokens[rank]]),
            Quantity("routing-weight gradient", [mine.GradTopkWeights.Select(v => (double)v)], [dense.GradTopkWeights[rank]]),
            Quantity("expert-weight gradient", owned.Select(e => mine.GradExpertWeights[e].AsEnumerable()), owned.Select(e => dense.GradExpertWeights[e]).ToArray()),
        };
    }

    // Each expert lives on exactly one rank; the others contribute zeros, so the sum is that rank's gradient.
    private static double[] SumOverRanks(RankResult[] ep, int expert)
    {
        int length = ep[0].GradExpertWeights[expert].Length;
        var sum = new double[length];
        foreach (RankResult rank in ep)
        {
            for (int i = 0; i < length; i++)
            {
                sum[i] += rank.GradExpertWeights[expert][i];
            }
        }

        return sum;
    }

    private static ComparedQuantity Quantity(string name, IEnumerable<IEnumerable<double>> actual, double[][] expected)
    {
        double[][] actualArrays = actual.Select(a => a.ToArray()).ToArray();
        double scale = Math.Max(1e-30, expected.SelectMany(v => v).Select(Math.Abs).DefaultIfEmpty(0).Max());
        double maxError = 0;
        for (int part = 0; part < expected.Length; part++)
        {
            if (actualArrays[part].Length != expected[part].Length)
            {
                return new ComparedQuantity(name + $" (part {part}: {actualArrays[part].Length} values, expected {expected[part].Length})",
                    double.PositiveInfinity, Tolerance);
            }

            for (int i = 0; i < expected[part].Length; i++)
            {
                double error = Math.Abs(actualArrays[part][i] - expected[part][i]);
                maxError = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(maxError, error);
            }
        }

        return new ComparedQuantity(name, maxError / scale, Tolerance);
    }
}
