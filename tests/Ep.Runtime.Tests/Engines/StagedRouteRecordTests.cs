using System;
using System.Runtime.InteropServices;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Runtime.Tests.Engines;

/// <summary>The layout of the routing record <c>ep_route_record</c> writes and every rank reads after the gather.</summary>
public sealed class StagedRouteRecordTests
{
    [Fact]
    public void A_record_reads_its_counts_and_says_whether_the_ids_equal_the_held_ones()
    {
        const int ranks = 2, experts = 3;
        int words = StagedRouteRecord.Words(ranks, experts);
        // Error key, then 2R + E = 7 int32 counts in four words, then the held-ids word.
        Assert.Equal(1 + 4 + 1, words);

        var record = new long[words];
        int[] counts = [4, 1, 6, 2, 3, 0, 5];
        counts.CopyTo(MemoryMarshal.Cast<long, int>(record.AsSpan(1, 4)));

        StagedRouteSummary same = StagedRouteRecord.Read(record, ranks, experts, error: null);
        Assert.Equal([4, 1], same.RowsTo);
        Assert.Equal([6, 2], same.PairsTo);
        Assert.Equal([3, 0, 5], same.ExpertCounts);
        Assert.True(same.MatchesHeldRouting);

        record[words - 1] = 1; // an entry differs, or nothing is held
        Assert.False(StagedRouteRecord.Read(record, ranks, experts, error: null).MatchesHeldRouting);
        Assert.False(StagedRouteRecord.MatchesHeld(record, ranks, experts));
    }

    /// <summary>
    /// Word 0 holds the complement of the lowest bad entry's key (the kernel's blocks meet in it with atomicMax on a
    /// record that starts at zero, so the lowest key wins): 0 reads as no error, anything else as the key.
    /// </summary>
    [Theory]
    [InlineData(0L, StagedRouteRecord.NoError)]
    [InlineData(~0L, 0L)]                 // token 0, slot 0, out of range
    [InlineData(~37L, 37L)]               // (token 2, slot 2) of K = 8, a repeat: (2 · 8 + 2) · 2 + 1
    public void The_error_word_decodes_to_the_lowest_key_or_none(long word, long key)
    {
        long[] record = new long[StagedRouteRecord.Words(1, 4)];
        record[0] = word;

        Assert.Equal(key, StagedRouteRecord.ErrorKey(record));
    }

    /// <summary>NcclEp refills one summary per rank every Dispatch: the same values as a fresh read, the error cleared.</summary>
    [Fact]
    public void A_summary_refilled_in_place_reads_as_a_fresh_one_and_forgets_the_previous_error()
    {
        const int ranks = 2, experts = 3;
        var record = new long[StagedRouteRecord.Words(ranks, experts)];
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
