using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// Keeps the padding of LowLatency's fixed expert groups zero without rewriting it every step. Each group holds
/// R × MaxTokensPerRank rows of which a step fills the first ExpertCounts[e]; the rest must read as zero, in Dispatch's
/// result and in Unpermute's, laid out the same way (<see cref="LowLatencyGroupBuffer"/>). Rewriting all
/// L · R · MaxTokensPerRank rows cost most of each of those calls (470 MB at 256 experts, 128 tokens, H 7168), so this
/// remembers on the device how many rows of each group each buffer's latest step filled, and clears only the rows a
/// step vacates (<c>ep_clear_vacated_rows</c>). Shared by the Staged and NcclEp engines.
/// </summary>
/// <remarks>
/// The remembered counts are only true while nothing else writes the group rows: whenever a buffer's contents are
/// unknown (a new buffer, one the test hook poisoned, NcclEp's Unpermute buffer after a Combine input was copied into it),
/// <see cref="Overwritten"/> makes its next clear cover every group.
/// </remarks>
internal sealed class LowLatencyGroupPadding
{
    /// <summary>Rows of the rows-filled table: one per <see cref="LowLatencyGroupBuffer"/>.</summary>
    public static readonly int TableRows = Enum.GetValues<LowLatencyGroupBuffer>().Length;

    private readonly DeviceTensor<int> _filledRows;
    private readonly DeviceTensor<int> _expertOffsets;
    private readonly DeviceTensor<int> _expertCounts;
    private readonly int _localExperts;
    private readonly uint _groupRows;
    private readonly StagedKernels _kernels;
    private readonly CudaStreamHandle _stream;

    /// <summary>Per buffer: <see cref="ForgetBeforeNextClear"/> was called since that buffer's last clear.</summary>
    private readonly bool[] _forgetPending = new bool[TableRows];

    /// <param name="filledRows">[<see cref="TableRows"/>, L] ints on the rank's device, owned by the caller's buffers.</param>
    /// <param name="expertOffsets">The step's [L] group offsets on the device (Dispatch uploads them).</param>
    /// <param name="expertCounts">The step's [L] rows per group on the device.</param>
    /// <param name="groupRows">Rows of each group, R × MaxTokensPerRank.</param>
    /// <param name="kernels">The layer's kernels.</param>
    /// <param name="stream">The rank's stream.</param>
    public LowLatencyGroupPadding(DeviceTensor<int> filledRows, DeviceTensor<int> expertOffsets, DeviceTensor<int> expertCounts, int groupRows,
        StagedKernels kernels, CudaStreamHandle stream)
    {
        _filledRows = filledRows;
        _expertOffsets = expertOffsets;
        _expertCounts = expertCounts;
        _localExperts = filledRows.Columns;
        _groupRows = (uint)groupRows;
        _kernels = kernels;
        _stream = stream;
        // Every buffer starts with unknown contents: the first clear of each covers all its padding.
        StagedMemory.Fill(StagedMemory.Address(filledRows), _groupRows, filledRows.Length, stream);
    }

    /// <summary>After something else may have written <paramref name="buffer"/>'s rows: <paramref name="written"/> true forgets its zero rows.</summary>
    public void Overwritten(LowLatencyGroupBuffer buffer, bool written)
    {
        if (written)
        {
            Forget(buffer, _stream);
        }
    }

    /// <summary>
    /// As <see cref="Overwritten"/> with <c>written</c> true, deferred to <paramref name="buffer"/>'s next clear: for a
    /// captured step each of whose replays may write any row of the buffer. The replay sets a host flag as it launches,
    /// so the graph holds no node for it, and the table is filled only if an eager clear of that buffer ever follows
    /// (stream-ordered after the replay, as the replay's own fill would have been).
    /// </summary>
    public void ForgetBeforeNextClear(LowLatencyGroupBuffer buffer) => _forgetPending[(int)buffer] = true;

    /// <summary>
    /// Zeroes each group's rows of <paramref name="buffer"/> (at <paramref name="rows"/>) past this step's count that the
    /// buffer's previous step filled: after this step's rows are in place, or beside the work that writes them (which
    /// writes only rows before each count) on <paramref name="stream"/>, a branch of the rank's stream that the rank's
    /// stream rejoins before anything reads the buffer. Null: the rank's stream.
    /// </summary>
    public void ClearVacated(LowLatencyGroupBuffer buffer, ulong rows, CudaStreamHandle? stream = null)
    {
        ForgetIfPending(buffer, stream ?? _stream);
        _kernels.ClearVacatedRows(StagedMemory.Address(_expertOffsets), StagedMemory.Address(_expertCounts), _localExperts, Row(buffer), rows, stream);
    }

    /// <summary>
    /// As <see cref="ClearVacated"/>, before the exchange has filled <paramref name="buffer"/>,
    /// from the counts a captured step's routing check gathered (<c>ep_clear_rows_past_counts</c>), on
    /// <paramref name="stream"/>: a branch beside the exchange, which writes only rows before each count.
    /// </summary>
    public void ClearPastCounts(LowLatencyGroupBuffer buffer, ulong rows, GatheredExpertCounts counts, CudaStreamHandle stream)
    {
        ForgetIfPending(buffer, stream);
        _kernels.ClearRowsPastCounts(stream, StagedMemory.Address(_expertOffsets), counts.Gathered, counts.Ranks, counts.RankWords, counts.CountsAt,
            counts.FirstExpert, counts.Local, _localExperts, Row(buffer), rows);
    }

    /// <summary>
    /// As <see cref="ClearVacated"/>, by a kernel of the caller's that counts each group's
    /// rows itself (a captured step's check at one rank): applies any pending forget and returns the device address of
    /// <paramref name="buffer"/>'s rows-filled row, which that kernel reads and updates.
    /// </summary>
    public ulong FilledRowsForClear(LowLatencyGroupBuffer buffer)
    {
        ForgetIfPending(buffer, _stream);
        return Row(buffer);
    }

    private void ForgetIfPending(LowLatencyGroupBuffer buffer, CudaStreamHandle stream)
    {
        if (_forgetPending[(int)buffer])
        {
            _forgetPending[(int)buffer] = false;
            Forget(buffer, stream);
        }
    }

    private void Forget(LowLatencyGroupBuffer buffer, CudaStreamHandle stream) => StagedMemory.Fill(Row(buffer), _groupRows, _localExperts, stream);

    /// <summary>
    /// Copies this step's real rows of every group from <paramref name="source"/> to <paramref name="destination"/> (both
    /// in the fixed-group layout), no padding row: <paramref name="largestCount"/>, the largest group's count this step,
    /// sets how many blocks share a group (at most <see cref="MaxBlocksPerGroup"/>).
    /// </summary>
    public void CopyRealRows(ulong source, ulong destination, int largestCount)
    {
        if (largestCount > 0)
        {
            _kernels.CopyGroupRows(source, StagedMemory.Address(_expertOffsets), StagedMemory.Address(_expertCounts), _localExperts,
                Math.Min(largestCount, MaxBlocksPerGroup), destination);
        }
    }

    /// <summary>Blocks per group in <see cref="CopyRealRows"/>: a block per row up to this, then rows shared out among them.</summary>
    public const int MaxBlocksPerGroup = 16;

    private ulong Row(LowLatencyGroupBuffer buffer) => StagedMemory.Address(_filledRows, (long)buffer * _localExperts);
}
