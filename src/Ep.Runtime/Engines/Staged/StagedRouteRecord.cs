using System;
using System.Runtime.InteropServices;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// The device record of one rank's routing, written by the validation and counting kernels: word 0 is the error key
/// of <c>ep_validate_routing</c>, then the [2R + E] int32 counts (rows per rank, pairs per rank, tokens per global
/// expert) packed two per word. One contiguous record means one read-back (and, over NCCL, one AllGather) per Dispatch.
/// </summary>
internal static class StagedRouteRecord
{
    /// <summary><c>EP_NO_ERROR</c>: the key the validation kernel leaves when every entry is good.</summary>
    public const long NoError = long.MaxValue;

    /// <summary>Byte offset of the counts in the record (after the 8-byte error key).</summary>
    public const long CountsByteOffset = sizeof(long);

    /// <summary>Words of one rank's record.</summary>
    public static int Words(int ranks, int experts) => 1 + (CountEntries(ranks, experts) + 1) / 2;

    /// <summary>The error key of a record.</summary>
    public static long ErrorKey(ReadOnlySpan<long> record) => record[0];

    /// <summary>The summary a record holds; <paramref name="error"/> is the decoded error when the key names one.</summary>
    public static StagedRouteSummary Read(ReadOnlySpan<long> record, int ranks, int experts, StagedRoutingError? error)
    {
        ReadOnlySpan<int> counts = MemoryMarshal.Cast<long, int>(record[1..])[..CountEntries(ranks, experts)];
        return new StagedRouteSummary(error, counts[..ranks].ToArray(), counts.Slice(ranks, ranks).ToArray(), counts[(2 * ranks)..].ToArray());
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
}
