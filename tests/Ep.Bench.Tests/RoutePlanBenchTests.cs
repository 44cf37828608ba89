using System.Linq;
using Ep.Bench.Options;
using Ep.Bench.Routing;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Bench.Tests;

/// <summary>
/// <c>--route-plan</c> times the plan's host work on records shaped as <c>ep_route_record</c> writes them, so the
/// records it builds from ep_bench's routing must read back as that routing's counts, and every part must be reported.
/// </summary>
public sealed class RoutePlanBenchTests
{
    [Fact]
    public void The_records_read_back_as_the_routings_rows_pairs_and_expert_counts()
    {
        BenchOptions options = BenchCommandLine.Parse(["--layer", "small-ll", "--ranks", "2"], out _)!;
        EpLayerSpec spec = options.Layer.Spec;
        long[][] routing = BenchProblem.RoutingOf(spec, 2, options.Tokens);
        int local = spec.LocalExperts(2);

        long[][] records = RoutePlanBench.Records(spec, routing, 2);

        for (int s = 0; s < 2; s++)
        {
            StagedRouteSummary summary = StagedRouteRecord.Read(records[s], 2, spec.Experts, error: null);
            long[] ids = routing[s].Where(id => id >= 0).ToArray();
            Assert.Equal(ids.Length, summary.PairsTo.Sum());
            for (int e = 0; e < spec.Experts; e++)
            {
                Assert.Equal(ids.Count(id => id == e), summary.ExpertCounts[e]);
            }

            for (int d = 0; d < 2; d++)
            {
                int rows = Enumerable.Range(0, options.Tokens)
                    .Count(t => Enumerable.Range(0, spec.TopK).Any(k => routing[s][t * spec.TopK + k] is long id && id >= 0 && id / local == d));
                Assert.Equal(rows, summary.RowsTo[d]);
            }

            Assert.False(StagedRouteRecord.MatchesHeld(records[s], 2, spec.Experts));
            Assert.Equal(StagedRouteRecord.NoError, StagedRouteRecord.ErrorKey(records[s]));
        }
    }

    [Fact]
    public void Every_part_is_timed_and_rank_zeros_counts_are_reported()
    {
        BenchOptions options = BenchCommandLine.Parse(["--layer", "small-ll", "--route-plan", "--iters", "3"], out _)!;

        RoutePlanReport report = RoutePlanBench.Run(options);

        Assert.Equal(4, report.Parts.Count);
        Assert.All(report.Parts, part => Assert.Equal(3, part.NanosecondsPerCall.Count));
        Assert.Equal((1, options.Layer.Spec.Experts), (report.Ranks, report.LocalExperts));
        long[] ids = BenchProblem.RoutingOf(options.Layer.Spec, 1, options.Tokens)[0];
        Assert.Equal(ids.Count(id => id >= 0), report.RankZeroCounts.Sum());
        Assert.Contains("routing and capacity checks (ThrowIfInvalid)", RoutePlanTableWriter.Write(report), System.StringComparison.Ordinal);
    }
}
