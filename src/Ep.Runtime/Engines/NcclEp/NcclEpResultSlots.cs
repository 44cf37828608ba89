namespace Ep.Engines.NcclEp;

/// <summary>
/// The two Dispatch results an NcclEp layer refills in turn, each with its own counts and offsets arrays, so that a
/// Dispatch allocates nothing once both exist (issue 5's steady state). Alternating keeps the previous step's result
/// intact through the next step, and distinct from the current one, so EpLayerRuntime still refuses it.
/// </summary>
internal sealed class NcclEpResultSlots(int localExperts)
{
    private readonly int[][] _counts = [new int[localExperts], new int[localExperts]];
    private readonly int[][] _offsets = [new int[localExperts], new int[localExperts]];
    private readonly EpDispatchResult?[] _results = new EpDispatchResult?[2];
    private int _slot = 1;

    /// <summary>Moves to the slot the previous step does not hold: its arrays are this step's to fill.</summary>
    public (int[] Counts, int[] Offsets) Next()
    {
        _slot ^= 1;
        return (_counts[_slot], _offsets[_slot]);
    }

    /// <summary>The current slot's result, renewed for <paramref name="step"/> (created the first time the slot is used).</summary>
    public EpDispatchResult Result(long step, EpLayout layout, DeviceTensor<BFloat16> tokens, DeviceTensor<long>? topkIdx, DeviceTensor<float> topkWeights,
        int tokenCount) =>
        _results[_slot] is { } result
            ? result.Renew(step, tokens, topkIdx, topkWeights, tokenCount)
            : _results[_slot] = new EpDispatchResult(step, layout, tokens, topkIdx, topkWeights, _counts[_slot], _offsets[_slot], tokenCount);
}
