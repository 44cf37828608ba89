using System.Linq;
using Ep.Bench.Layers;
using Ep.Bench.Metrics;
using Ep.Bench.Processes;
using Ep.Bench.Routing;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class AllToAllPlanTests
{
    // 2 ranks, 4 experts (rank 0: experts 0-1, rank 1: experts 2-3), top-2, hidden 8 (16 B rows).
    private static readonly long[][] Routing =
    [
        [0, 1, /**/ 0, 2, /**/ 3, 2, /**/ -1, 1],   // rank 0: tokens to {0}, {0,1}, {1}, {0}
        [2, 3, /**/ 1, -1, /**/ -1, -1],             // rank 1: tokens to {1}, {0}, {}
    ];

    [Fact]
    public void Each_token_goes_once_to_every_rank_holding_one_of_its_experts()
    {
        Assert.Equal([3L, 2L], AllToAllPlan.TokensPerDestination(Routing[0], 2, 4, 2));
        Assert.Equal([1L, 1L], AllToAllPlan.TokensPerDestination(Routing[1], 2, 4, 2));
    }

    [Fact]
    public void A_rank_receives_what_every_source_sends_it_itself_included()
    {
        AllToAllPlan rank0 = AllToAllPlan.FromRouting(Routing, 2, 4, 8, 0);
        AllToAllPlan rank1 = AllToAllPlan.FromRouting(Routing, 2, 4, 8, 1);

        Assert.Equal([3L, 2L], rank0.SendRows);
        Assert.Equal([3L, 1L], rank0.ReceiveRows);
        Assert.Equal([1L, 1L], rank1.SendRows);
        Assert.Equal([2L, 1L], rank1.ReceiveRows);
        Assert.Equal(16, rank0.RowBytes);
        Assert.Equal((5 * 16, 4 * 16), (rank0.SendBytes, rank0.ReceiveBytes));
        Assert.Equal([0L, 3L], rank0.SendOffsets);
        Assert.Equal([0L, 3L], rank0.ReceiveOffsets);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void The_bytes_received_are_ep_bench_HT_bytes_and_every_send_meets_its_receive(int ranks)
    {
        EpLayerSpec spec = BenchLayers.Find("ht-flat")!.Spec;
        long[][] routing = BenchProblem.RoutingOf(spec, ranks, 512);
        AllToAllPlan[] plans = Enumerable.Range(0, ranks).Select(r => AllToAllPlan.FromRouting(routing, spec.TopK, spec.Experts, spec.HiddenSize, r)).ToArray();

        for (int r = 0; r < ranks; r++)
        {
            Assert.Equal(ByteFormulas.BytesPerRank(spec, routing, r), plans[r].ReceiveBytes);
            for (int peer = 0; peer < ranks; peer++)
            {
                Assert.Equal(plans[r].SendRows[peer], plans[peer].ReceiveRows[r]);
            }
        }
    }

    [Fact]
    public void One_rank_keeps_every_token_once()
    {
        EpLayerSpec spec = BenchLayers.Find("ht-flat")!.Spec;
        long[][] routing = BenchProblem.RoutingOf(spec, 1, 64);

        AllToAllPlan plan = AllToAllPlan.FromRouting(routing, spec.TopK, spec.Experts, spec.HiddenSize, 0);

        Assert.Equal([64L], plan.SendRows);
        Assert.Equal([64L], plan.ReceiveRows);
    }

    [Fact]
    public void The_inputs_of_one_rank_are_the_ones_the_whole_problem_gives_it()
    {
        EpLayerSpec spec = BenchLayers.Find("small-ht")!.Spec;
        BenchProblem all = BenchProblem.Create(spec, 2, 16);

        RankInputs alone = BenchProblem.InputsOf(spec, 1, 16, BenchProblem.RoutingOf(spec, 2, 16)[1]);

        Assert.Equal(all.Ranks[1].TopkIdx, alone.TopkIdx);
        Assert.Equal(all.Ranks[1].TopkWeights, alone.TopkWeights);
        Assert.Equal(all.Ranks[1].Tokens, alone.Tokens);
    }
}
