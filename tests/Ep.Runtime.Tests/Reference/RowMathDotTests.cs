using System;
using System.Linq;
using Xunit;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// The weight-gradient dot product's fixed order (docs/semantics.md, Backward): 32 lane sums over 8-element vectors
/// l, l + 32, …, then the tree p[l] += p[l + s] for s = 16 … 1. Each case is built so that one other plausible order
/// rounds differently: 2^24 + 1 is not an fp32 value (it rounds to 2^24), 2^24 + 2 is.
/// </summary>
public sealed class RowMathDotTests
{
    private const float TwoToThe24 = 16777216f;

    [Fact]
    public void Each_lane_sums_its_own_vectors_before_the_lanes_meet()
    {
        // Products: 2^24 at h = 0 (lane 0), 1 at h = 8 (lane 1), −2^24 at h = 256 (vector 32: lane 0 again).
        // Lanes: p0 = 2^24 − 2^24 = 0, p1 = 1, so the dot is 1; ascending h would give (2^24 + 1) − 2^24 = 0.
        (BFloat16[] a, BFloat16[] b) = Rows(512, (0, 4096f, 4096f), (8, 1f, 1f), (256, -4096f, 4096f));

        Assert.Equal(1f, RowMath.Dot(a, b));
    }

    [Fact]
    public void The_lanes_meet_in_the_fixed_tree_not_in_lane_order()
    {
        // Lane sums p0 = 2^24, p1 = 1, p17 = 1. The tree adds p17 into p1 first (s = 16), then p1 = 2 into p0 (s = 1):
        // 2^24 + 2, exact. Lanes in order (or ascending h) would add the ones one at a time and lose both.
        (BFloat16[] a, BFloat16[] b) = Rows(256, (0, 4096f, 4096f), (8, 1f, 1f), (136, 1f, 1f));

        Assert.Equal(TwoToThe24 + 2f, RowMath.Dot(a, b));
    }

    [Fact]
    public void Small_integer_rows_give_the_exact_dot_at_every_width()
    {
        var random = new Random(7);
        foreach (int hidden in new[] { 8, 72, 256, 2056, 7168 })
        {
            float[] x = Enumerable.Range(0, hidden).Select(_ => (float)random.Next(-8, 9)).ToArray();
            float[] y = Enumerable.Range(0, hidden).Select(_ => (float)random.Next(-8, 9)).ToArray();
            double exact = x.Zip(y, (p, q) => (double)p * q).Sum();

            Assert.Equal((float)exact, RowMath.Dot(x.Select(v => (BFloat16)v).ToArray(), y.Select(v => (BFloat16)v).ToArray()));
        }
    }

    private static (BFloat16[] A, BFloat16[] B) Rows(int hidden, params (int H, float A, float B)[] entries)
    {
        var a = new BFloat16[hidden];
        var b = new BFloat16[hidden];
        foreach ((int h, float x, float y) in entries)
        {
            a[h] = (BFloat16)x;
            b[h] = (BFloat16)y;
        }

        return (a, b);
    }
}
