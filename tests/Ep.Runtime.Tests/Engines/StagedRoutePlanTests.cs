using System.Linq;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Runtime.Tests.Engines;

/// <summary>
/// The routing plan every GPU engine builds from the gathered per-rank summaries (host logic: segment sizes and
/// offsets, the received layout, and the checks that must pass before anything moves), on a hand-made 3-rank world.
/// </summary>
public sealed class StagedRoutePlanTests
{
    // E = 6 over 3 ranks (L = 2), K = 2, 4 tokens per rank. Rows/pairs each rank sends to ranks 0..2, and tokens per
    // global expert; each destination's experts add up to the pairs it receives.
    private static readonly EpLayerSpec Flat = new() { Experts = 6, TopK = 2, HiddenSize = 8, MaxTokensPerRank = 4 };

    private static StagedRouteSummary[] World(StagedRoutingError? rank1Error = null, StagedRoutingError? rank2Error = null) =>
    [
        new(null, [1, 2, 0], [1, 3, 0], [1, 0, 2, 1, 0, 0]),
        new(rank1Error, [0, 1, 2], [0, 1, 2], [0, 0, 1, 0, 1, 1]),
        new(rank2Error, [3, 0, 1], [4, 0, 1], [2, 2, 0, 0, 0, 1]),
    ];

    [Fact]
    public void Rows_received_and_segment_offsets_follow_source_rank_order()
    {
        var plan = new StagedRoutePlan(Flat, World());

        Assert.Equal((4, 3, 3), (plan.RowsReceived(0), plan.RowsReceived(1), plan.RowsReceived(2)));
        // Flat's M: each destination's counts per local expert summed, [3, 2], [3, 1] and [1, 2] — the pairs it receives.
        Assert.Equal((5, 4, 3), (plan.ExpertOffsets(plan.ExpertCounts(0)).Rows, plan.ExpertOffsets(plan.ExpertCounts(1)).Rows,
            plan.ExpertOffsets(plan.ExpertCounts(2)).Rows));
        Assert.Equal(3, plan.ExpertCounts(2).Sum());
        Assert.Equal(1L, plan.ReceiveOffset(destination: 0, source: 2));   // after rank 0's 1 row and rank 1's none
        Assert.Equal(3L, plan.SendOffset(source: 2, destination: 2));      // after its 3 rows for rank 0 and none for rank 1
        Assert.Equal(4L, plan.PairSendOffset(source: 0, destination: 2));  // after 1 + 3 pairs
    }

    [Fact]
    public void Forward_segments_pair_each_send_with_the_peers_landing_place()
    {
        var plan = new StagedRoutePlan(Flat, World());

        Assert.Equal(
            [new StagedPeerSegment(0, 0, 1, 0, 2), new StagedPeerSegment(0, 1, 2, 2, 1), new StagedPeerSegment(1, 2, 0, 3, 0)],
            plan.ForwardSegments(1));
    }

    [Fact]
    public void Return_segments_of_pairs_send_each_source_its_pairs_back_where_it_sent_them_from()
    {
        var plan = new StagedRoutePlan(Flat, World());

        Assert.Equal(4L, plan.PairReceiveOffset(destination: 1, source: 2));  // after rank 0's 3 pairs and rank 1's 1
        Assert.Equal(
            [new StagedPeerSegment(0, 3, 1, 0, 0), new StagedPeerSegment(3, 1, 0, 0, 1), new StagedPeerSegment(4, 0, 4, 1, 2)],
            plan.ReturnSegments(1, perPair: true));
    }

    /// <summary>The NcclEp engine keeps one plan over summaries it refills: the plan reads them live, into caller arrays.</summary>
    [Fact]
    public void A_plan_over_refilled_summaries_reads_the_new_counts_into_the_callers_arrays()
    {
        StagedRouteSummary[] world = World();
        var plan = new StagedRoutePlan(Flat with { Layout = EpLayout.ExpertMajor, ExpertAlignment = 4 }, world);
        var counts = new int[2];
        var offsets = new int[2];

        plan.ExpertCounts(0, counts);
        Assert.Equal([3, 2], counts);
        Assert.Equal(8, plan.ExpertOffsets(counts, offsets));
        Assert.Equal([0, 4], offsets);

        world[1].ExpertCounts[1] = 3; // rank 1 now sends three tokens to expert 1
        plan.ExpertCounts(0, counts);
        Assert.Equal([3, 5], counts);
        Assert.Equal(12, plan.ExpertOffsets(counts, offsets));
        Assert.Equal(plan.ExpertCounts(0), counts); // the allocating overload agrees
    }

    [Fact]
    public void Expert_counts_sum_every_source_and_offsets_pad_to_the_alignment()
    {
        var flat = new StagedRoutePlan(Flat, World());
        var aligned = new StagedRoutePlan(Flat with { Layout = EpLayout.ExpertMajor, ExpertAlignment = 4 }, World());
        var lowLatency = new StagedRoutePlan(Flat with { Layout = EpLayout.ExpertMajor, Algorithm = EpAlgorithm.LowLatency }, World());

        Assert.Equal([3, 2], flat.ExpertCounts(0));
        Assert.Equal([3, 1], flat.ExpertCounts(1));
        AssertOffsets(flat, [0, 3], 5);
        AssertOffsets(aligned, [0, 4], 8);
        // Flat has no groups to pad: an ExpertAlignment there has no effect (EP0019), as in the Reference engine.
        AssertOffsets(new StagedRoutePlan(Flat with { ExpertAlignment = 4 }, World()), [0, 3], 5);
        // LowLatency's groups are fixed: R × MaxTokensPerRank = 12 rows each, whatever the counts.
        AssertOffsets(lowLatency, [0, 12], 24);

        static void AssertOffsets(StagedRoutePlan plan, int[] expectedOffsets, int expectedRows)
        {
            (int[] offsets, int rows) = plan.ExpertOffsets([3, 2]);
            Assert.Equal(expectedOffsets, offsets);
            Assert.Equal(expectedRows, rows);
        }
    }

    [Fact]
    public void A_valid_world_passes_the_checks() => new StagedRoutePlan(Flat, World()).ThrowIfInvalid();

    [Fact]
    public void The_lowest_ranks_routing_error_is_thrown_with_its_place()
    {
        var plan = new StagedRoutePlan(Flat, World(rank1Error: new StagedRoutingError(3, 1, 2, 0), rank2Error: new StagedRoutingError(0, 0, 9, -1)));

        var error = Assert.Throws<EpRoutingException>(plan.ThrowIfInvalid);

        Assert.Equal((1, 3, 1, 2L), (error.Rank, error.Token, error.Slot, error.Value));
        Assert.Contains("names the expert that slot 0 of the same row already names", error.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void An_id_out_of_range_names_the_valid_range()
    {
        var plan = new StagedRoutePlan(Flat, World(rank2Error: new StagedRoutingError(0, 1, 9, -1)));

        var error = Assert.Throws<EpRoutingException>(plan.ThrowIfInvalid);

        Assert.Equal((2, 0, 1, 9L), (error.Rank, error.Token, error.Slot, error.Value));
        Assert.Contains("topkIdx[0, 1] = 9 is outside [-1, 6)", error.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void A_flat_receive_overflow_names_the_rank_rows_and_capacity()
    {
        var plan = new StagedRoutePlan(Flat with { RecvCapacityPerRank = 3 }, World());

        var error = Assert.Throws<EpCapacityException>(plan.ThrowIfInvalid);

        // Rank 0 receives 1 + 0 + 3 rows; ranks 1 and 2 receive 3 each and fit.
        Assert.Equal((0, 4L, 3L), (error.Rank, error.NeededRows, error.AvailableRows));
        Assert.Contains("RecvCapacityPerRank", error.Message, System.StringComparison.Ordinal);
    }

    /// <summary>
    /// A LowLatency group holds Ranks × MaxTokensPerRank rows, the most any valid routing can send a local expert (each
    /// source names it at most once per token), so the fullest valid step passes and fills its groups exactly.
    /// </summary>
    [Fact]
    public void The_fullest_valid_low_latency_step_fits_its_groups()
    {
        EpLayerSpec spec = new() { Experts = 4, TopK = 2, HiddenSize = 8, MaxTokensPerRank = 4, Layout = EpLayout.ExpertMajor, Algorithm = EpAlgorithm.LowLatency };
        // Both ranks send every token to experts 0 and 1, rank 0's local experts.
        StagedRouteSummary[] world = [new(null, [4, 0], [8, 0], [4, 4, 0, 0]), new(null, [4, 0], [8, 0], [4, 4, 0, 0])];
        var plan = new StagedRoutePlan(spec, world);

        plan.ThrowIfInvalid();

        Assert.Equal([8, 8], plan.ExpertCounts(0));
        Assert.Equal(plan.LowLatencyGroupRows, plan.ExpertCount(0, 0));
        (int[] offsets, int rows) = plan.ExpertOffsets(plan.ExpertCounts(0));
        Assert.Equal([0, 8], offsets);
        Assert.Equal(16, rows);
    }

    /// <summary>
    /// The per-expert sums over sources run SIMD-wide with a scalar tail: with L = 13 local experts and three sources
    /// they must equal the scalar sum of every source, expert by expert, on every rank.
    /// </summary>
    [Fact]
    public void Expert_counts_sum_every_source_past_the_vector_width()
    {
        const int ranks = 3, local = 13;
        EpLayerSpec spec = new() { Experts = ranks * local, TopK = 2, HiddenSize = 8, MaxTokensPerRank = 64 };
        StagedRouteSummary[] world = new StagedRouteSummary[ranks];
        for (int s = 0; s < ranks; s++)
        {
            world[s] = StagedRouteSummary.Empty(ranks, spec.Experts);
            for (int x = 0; x < spec.Experts; x++)
            {
                world[s].ExpertCounts[x] = (7 * s + 3 * x) % 11;
            }
        }

        var plan = new StagedRoutePlan(spec, world);
        var counts = new int[local];
        for (int rank = 0; rank < ranks; rank++)
        {
            plan.ExpertCounts(rank, counts);
            for (int e = 0; e < local; e++)
            {
                int expected = 0;
                for (int s = 0; s < ranks; s++)
                {
                    expected += world[s].ExpertCounts[rank * local + e];
                }

                Assert.Equal(expected, counts[e]);
            }
        }
    }

    [Fact]
    public void An_expert_major_layout_checks_its_padded_rows_against_the_expert_major_capacity()
    {
        // Counts no real routing could give (K = 1, yet 10 pairs from 4 rows), so that the padded total 8 + 8 = 16
        // exceeds the expert-major capacity 4 × min(K, L) + L × (A − 1) = 10 while either group alone (8) fits.
        EpLayerSpec spec = new() { Experts = 2, TopK = 1, HiddenSize = 8, MaxTokensPerRank = 4, Layout = EpLayout.ExpertMajor, ExpertAlignment = 4 };
        var plan = new StagedRoutePlan(spec, [new StagedRouteSummary(null, [4], [10], [5, 5])]);

        var error = Assert.Throws<EpCapacityException>(plan.ThrowIfInvalid);

        Assert.Equal((0, 16L, 10L), (error.Rank, error.NeededRows, error.AvailableRows));
        Assert.Contains("ExpertMajor capacity", error.Message, System.StringComparison.Ordinal);
    }
}
