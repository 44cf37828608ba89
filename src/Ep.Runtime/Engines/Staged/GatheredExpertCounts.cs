namespace Ep.Engines.Staged;

/// <summary>
/// Where a captured step finds its groups' counts before the exchange: every rank's E int counts, gathered into one
/// device array (rank r's at 8-byte word r · <paramref name="RankWords"/> + <paramref name="CountsAt"/> of
/// <paramref name="Gathered"/>), of which this rank's local experts start at <paramref name="FirstExpert"/>; and this
/// rank's own counts (<paramref name="Local"/>), which the clearing kernel zeroes for the next replay once it has read
/// the gathered ones.
/// </summary>
internal readonly record struct GatheredExpertCounts(ulong Gathered, int Ranks, int RankWords, int CountsAt, int FirstExpert, ulong Local);
