using System;
using System.Runtime.InteropServices;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// The device record of one rank's routing, written by <c>ep_route_record</c>: word 0 is the complement of the
/// validation's error key (0: no error; <see cref="ErrorKey"/> decodes it), then the [2R + E] int32 counts (rows per
/// rank, pairs per rank, tokens per global expert) packed two per word, then one word that says whether the ids differ
/// from the ones a NcclEp HighThroughput handle holds (1 where they do, or where nothing is held: the Staged engine holds
/// nothing). One contiguous record means one read-back (and, over NCCL, one AllGather) per Dispatch. The kernel's blocks
/// add into the record with atomics, so a layer allocates two and uses them in turn (<see cref="StagedRouteRecordTurns"/>).
/// </summary>
internal static class StagedRouteRecord
{
    /// <summary><c>EP_NO_ERROR</c>: the key <see cref="ErrorKey"/> gives when every entry is good (and the one the captured step's check records).</summary>
    public const long NoError = long.MaxValue;

    /// <summary>Words of one rank's record.</summary>
    public static int Words(int ranks, int experts) => HeldWord(ranks, experts) + 1;

    /// <summary>Words to allocate for a layer's records: two, used in turn.</summary>
    public static int AllocatedWords(int ranks, int experts) => 2 * Words(ranks, experts);

    /// <summary>Whether the record says its rank's ids equal the held ones (its held-ids word is 0).</summary>
    public static bool MatchesHeld(ReadOnlySpan<long> record, int ranks, int experts) => record[HeldWord(ranks, experts)] == 0;

    /// <summary>The error key of a record (<see cref="NoError"/> when every entry is good).</summary>
    public static long ErrorKey(ReadOnlySpan<long> record) => record[0] == 0 ? NoError : ~record[0];

    /// <summary>The summary a record holds; <paramref name="error"/> is the decoded error when the key names one.</summary>
    public static StagedRouteSummary Read(ReadOnlySpan<long> record, int ranks, int experts, StagedRoutingError? error)
    {
        StagedRouteSummary summary = StagedRouteSummary.Empty(ranks, experts);
        ReadInto(record, ranks, experts, summary);
        summary.Error = error;
        return summary;
    }

    /// <summary>
    /// <see cref="Read"/> into <paramref name="into"/>'s arrays (sized for the same ranks and experts), with no error: a
    /// caller that finds the key set fills the error in afterwards.
    /// </summary>
    public static void ReadInto(ReadOnlySpan<long> record, int ranks, int experts, StagedRouteSummary into)
    {
        ReadOnlySpan<int> counts = MemoryMarshal.Cast<long, int>(record[1..])[..CountEntries(ranks, experts)];
        counts[..ranks].CopyTo(into.RowsTo);
        counts.Slice(ranks, ranks).CopyTo(into.PairsTo);
        counts[(2 * ranks)..].CopyTo(into.ExpertCounts);
        into.Error = null;
        into.MatchesHeldRouting = MatchesHeld(record, ranks, experts);
    }

    /// <summary>Decodes a key into (token, slot, whether the entry repeats an earlier expert of its row).</summary>
    public static (int Token, int Slot, bool Repeat) Decode(long key, int topK)
    {
        long entry = key / 2;
        return ((int)(entry / topK), (int)(entry % topK), key % 2 != 0);
    }

    /// <summary>
    /// The full routing error behind <paramref name="key"/>: reads the bad row of <paramref name="topkIdx"/> (one host
    /// wait) for the id found and, for a repeat, the slot that named it first.
    /// </summary>
    public static StagedRoutingError Describe(DeviceTensor<long> topkIdx, long key, int topK, CudaStreamHandle stream)
    {
        (int token, int slot, bool repeat) = Decode(key, topK);
        long[] row = StagedMemory.Download<long>(StagedMemory.Address(topkIdx, (long)token * topK), topK, stream);
        return new StagedRoutingError(token, slot, row[slot], repeat ? Array.IndexOf(row, row[slot]) : -1);
    }

    private static int CountEntries(int ranks, int experts) => 2 * ranks + experts;

    private static int HeldWord(int ranks, int experts) => 1 + (CountEntries(ranks, experts) + 1) / 2;
}
