using System;
using System.Runtime.InteropServices;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Runtime.Tests.Engines;

/// <summary>The layout of the routing record <c>ep_route_record</c> writes and every rank reads after the gather.</summary>
public sealed class StagedRouteRecordTests
{
    [Fact]
    public void A_record_reads_its_counts_and_says_whether_every_held_check_block_found_the_same_ids()
    {
        const int ranks = 2, experts = 3;
        int words = StagedRouteRecord.Words(ranks, experts);
        // Error key, then 2R + E = 7 int32 counts in four words, then one word per held-check block.
        Assert.Equal(1 + 4 + StagedRouteRecord.HeldCheckBlocks, words);
        Assert.Equal(5 * sizeof(long), StagedRouteRecord.HeldByteOffset(ranks, experts));

        var record = new long[words];
        record[0] = StagedRouteRecord.NoError;
        int[] counts = [4, 1, 6, 2, 3, 0, 5];
        counts.CopyTo(MemoryMarshal.Cast<long, int>(record.AsSpan(1, 4)));

        StagedRouteSummary same = StagedRouteRecord.Read(record, ranks, experts, error: null);
        Assert.Equal([4, 1], same.RowsTo);
        Assert.Equal([6, 2], same.PairsTo);
        Assert.Equal([3, 0, 5], same.ExpertCounts);
        Assert.True(same.MatchesHeldRouting);

        record[words - 1] = 1; // the last block's slice differs
        Assert.False(StagedRouteRecord.Read(record, ranks, experts, error: null).MatchesHeldRouting);
        record[words - 1] = 0;
        record[5] = 1; // the first block's
        Assert.False(StagedRouteRecord.MatchesHeld(record, ranks, experts));
    }

    /// <summary>NcclEp refills one summary per rank every Dispatch: the same values as a fresh read, the error cleared.</summary>
    [Fact]
    public void A_summary_refilled_in_place_reads_as_a_fresh_one_and_forgets_the_previous_error()
    {
        const int ranks = 2, experts = 3;
        var record = new long[StagedRouteRecord.Words(ranks, experts)];
        record[0] = StagedRouteRecord.NoError;
        int[] counts = [4, 1, 6, 2, 3, 0, 5];
        counts.CopyTo(MemoryMarshal.Cast<long, int>(record.AsSpan(1, 4)));
        StagedRouteSummary summary = StagedRouteSummary.Empty(ranks, experts);
        summary.Error = new StagedRoutingError(1, 0, 9, -1);
        int[] rowsTo = summary.RowsTo;

        StagedRouteRecord.ReadInto(record, ranks, experts, summary);

        StagedRouteSummary fresh = StagedRouteRecord.Read(record, ranks, experts, error: null);
        Assert.Equal(fresh.RowsTo, summary.RowsTo);
        Assert.Equal(fresh.PairsTo, summary.PairsTo);
        Assert.Equal(fresh.ExpertCounts, summary.ExpertCounts);
        Assert.Equal((null, true), (summary.Error, summary.MatchesHeldRouting));
        Assert.Same(rowsTo, summary.RowsTo); // refilled, not replaced
    }
}
