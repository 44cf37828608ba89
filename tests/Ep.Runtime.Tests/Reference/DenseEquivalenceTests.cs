using System;
using Xunit;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// Expert-parallel forward + backward of a random linear MoE equals the same MoE computed densely in one process,
/// within bf16 tolerance: output, token gradient, routing-weight gradient and every expert's weight gradient.
/// </summary>
public sealed class DenseEquivalenceTests
{
    [Theory]
    [InlineData(1, EpLayout.Flat, true, 1)]
    [InlineData(2, EpLayout.Flat, true, 2)]
    [InlineData(4, EpLayout.Flat, true, 3)]
    [InlineData(2, EpLayout.Flat, false, 4)]
    [InlineData(4, EpLayout.Flat, false, 5)]
    [InlineData(1, EpLayout.ExpertMajor, true, 6)]
    [InlineData(2, EpLayout.ExpertMajor, true, 7)]
    [InlineData(4, EpLayout.ExpertMajor, true, 8)]
    [InlineData(2, EpLayout.ExpertMajor, false, 9)]
    [InlineData(4, EpLayout.ExpertMajor, false, 10)]
    public void Expert_parallel_step_equals_dense_moe(int ranks, EpLayout layout, bool weighted, int seed)
    {
        var spec = new EpLayerSpec
        {
            Experts = 8,
            TopK = 3,
            HiddenSize = 16,
            MaxTokensPerRank = 12,
            Layout = layout,
            ExpertAlignment = layout == EpLayout.ExpertMajor ? 4 : 0,
            ApplyWeightsInCombine = weighted,
        };
        var problem = new LinearMoeProblem(ranks, spec, seed);
        LinearMoeProblem.Result[] dense = problem.Dense();
        LinearMoeProblem.Result[] ep = EpWorld.RunSimulated(ranks, group =>
        {
            using EpLayerRuntime layer = TestTensors.Layer(group, spec);
            return problem.RunRank(layer, group.Rank);
        });

        for (int r = 0; r < ranks; r++)
        {
            AssertClose(dense[r].Output, ep[r].Output, $"output of rank {r}");
            AssertClose(dense[r].GradTokens, ep[r].GradTokens, $"token gradient of rank {r}");
            if (weighted)
            {
                AssertClose(dense[r].GradTopkWeights!, ep[r].GradTopkWeights!, $"routing-weight gradient of rank {r}");
            }
            else
            {
                Assert.Null(ep[r].GradTopkWeights);
            }
        }

        for (int e = 0; e < spec.Experts; e++)
        {
            var summed = new double[spec.HiddenSize * spec.HiddenSize];
            foreach (LinearMoeProblem.Result rank in ep)
            {
                for (int i = 0; i < summed.Length; i++)
                {
                    summed[i] += rank.GradExpertWeights[e][i];
                }
            }

            AssertClose(dense[0].GradExpertWeights[e], summed, $"weight gradient of expert {e}");
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string what) =>
        AssertClose(Array.ConvertAll(expected, v => (double)v), Array.ConvertAll(actual, v => (double)v), what);

    /// <summary>A few bf16 roundings of inputs, expert outputs and the final sums: 3% of the value, or 0.03 near zero.</summary>
    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 0.03 * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
        }
    }
}
