using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// Keeps the padding of LowLatency's fixed expert groups zero without rewriting it every step. Each group holds
/// R × MaxTokensPerRank rows of which a step fills the first ExpertCounts[e]; the rest must read as zero. Rewriting
/// all L · R · MaxTokensPerRank rows cost most of a LowLatency Dispatch (470 MB at 256 experts, 128 tokens, H 7168),
/// so this remembers on the device how many rows of each group the latest step filled and clears only the rows a step
/// vacates (<c>ep_clear_vacated_rows</c>). Shared by the Staged and NcclEp engines.
/// </summary>
/// <remarks>
/// The remembered counts are only true while nothing else writes the group rows: whenever the rows' contents are
/// unknown (a new buffer, a poisoned one), <see cref="ForgetZeroRows"/> makes the next clear cover every group.
/// </remarks>
internal sealed class LowLatencyGroupPadding
{
    private readonly DeviceTensor<int> _filledRows;
    private readonly int _localExperts;
    private readonly uint _groupRows;
    private readonly StagedKernels _kernels;
    private readonly CudaStreamHandle _stream;

    /// <param name="filledRows">[L] ints on the rank's device, owned by the caller's buffers.</param>
    /// <param name="localExperts">L.</param>
    /// <param name="groupRows">Rows of each group, R × MaxTokensPerRank.</param>
    /// <param name="kernels">The layer's kernels.</param>
    /// <param name="stream">The rank's stream.</param>
    public LowLatencyGroupPadding(DeviceTensor<int> filledRows, int localExperts, int groupRows, StagedKernels kernels, CudaStreamHandle stream)
    {
        _filledRows = filledRows;
        _localExperts = localExperts;
        _groupRows = (uint)groupRows;
        _kernels = kernels;
        _stream = stream;
        ForgetZeroRows();
    }

    /// <summary>The rows' contents are unknown: the next <see cref="ClearVacated"/> zeroes every row past each group's count.</summary>
    public void ForgetZeroRows() => StagedMemory.Fill(StagedMemory.Address(_filledRows), _groupRows, _localExperts, _stream);

    /// <summary>After the test hook may have poisoned the group rows: <paramref name="poisoned"/> true forgets every zero row.</summary>
    public void Poisoned(bool poisoned)
    {
        if (poisoned)
        {
            ForgetZeroRows();
        }
    }

    /// <summary>
    /// After this step's rows are in place: zeroes each group's rows past its count that an earlier step filled.
    /// <paramref name="expertOffsets"/> and <paramref name="expertCounts"/> are this step's [L] tables on the device.
    /// </summary>
    public void ClearVacated(ulong expertOffsets, ulong expertCounts, ulong rows) =>
        _kernels.ClearVacatedRows(expertOffsets, expertCounts, _localExperts, StagedMemory.Address(_filledRows), rows);
}
