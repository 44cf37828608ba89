namespace Ep;

/// <summary>
/// What one rank shares with the others at the start of Dispatch: its input tensors (read in place by the receivers,
/// which is safe because Dispatch ends with a barrier) and the first mistake in its routing, if any.
/// </summary>
internal sealed record DispatchContribution(
    DeviceTensor<BFloat16> Tokens, DeviceTensor<long> TopkIdx, DeviceTensor<float> TopkWeights, RoutingError? Error)
{
    /// <summary>T, the tokens this rank sent.</summary>
    public int TokenCount => Tokens.Rows;
}
