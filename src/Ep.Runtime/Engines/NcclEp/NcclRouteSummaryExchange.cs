using System;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Shares every rank's routing summary (its lowest routing error, rows and pairs per destination, tokens per expert)
/// with one in-place <c>ncclAllGather</c> of int64 rows, so every rank builds the same <see cref="StagedRoutePlan"/> and
/// throws the same routing or capacity error before anything reaches NCCL EP, which would abort on bad ids.
/// </summary>
internal static class NcclRouteSummaryExchange
{
    private const int Header = 5; // hasError, token, slot, value, firstSlot

    /// <summary>Int64 values per rank.</summary>
    public static int Width(int ranks, int experts) => Header + 2 * ranks + experts;

    /// <summary>Collective on <paramref name="communicator"/>: every rank's summary, indexed by rank.</summary>
    public static StagedRouteSummary[] AllGather(StagedRouteSummary mine, int rank, int ranks, int experts, DeviceTensor<long> buffer,
        IntPtr communicator, CudaStreamHandle stream)
    {
        int width = Width(ranks, experts);
        var row = new long[width];
        if (mine.Error is { } error)
        {
            (row[0], row[1], row[2], row[3], row[4]) = (1, error.Token, error.Slot, error.Value, error.FirstSlot);
        }

        for (int d = 0; d < ranks; d++)
        {
            row[Header + d] = mine.RowsTo[d];
            row[Header + ranks + d] = mine.PairsTo[d];
        }

        for (int e = 0; e < experts; e++)
        {
            row[Header + 2 * ranks + e] = mine.ExpertCounts[e];
        }

        ulong all = StagedMemory.Address(buffer);
        ulong slot = StagedMemory.Address(buffer, (long)rank * width);
        StagedMemory.Upload<long>(row, slot, stream);
        NcclException.ThrowIfFailed(Nccl.AllGather(slot, all, (nuint)width, NcclDataType.Int64, communicator, stream.DangerousGetHandle()));
        long[] gathered = StagedMemory.Download<long>(all, ranks * width, stream);

        var summaries = new StagedRouteSummary[ranks];
        for (int r = 0; r < ranks; r++)
        {
            ReadOnlySpan<long> values = gathered.AsSpan(r * width, width);
            StagedRoutingError? routingError = values[0] != 0
                ? new StagedRoutingError((int)values[1], (int)values[2], values[3], (int)values[4])
                : null;
            summaries[r] = new StagedRouteSummary(routingError, ToInts(values.Slice(Header, ranks)), ToInts(values.Slice(Header + ranks, ranks)),
                ToInts(values.Slice(Header + 2 * ranks, experts)));
        }

        return summaries;
    }

    private static int[] ToInts(ReadOnlySpan<long> values)
    {
        var ints = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            ints[i] = checked((int)values[i]);
        }

        return ints;
    }
}
